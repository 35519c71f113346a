"""App-wide error answers: 422s that never echo the request, full 405s, 4xx safety nets.

FastAPI's own 422 repeats each invalid ``input`` (and ``ctx``): a 50 MB body that fails
validation came back as a 300 MB answer, and bytes that are not UTF-8 made it a 500.
Here an error keeps only ``type``, ``loc`` and ``msg``, each bounded, and at most
``MAX_ERRORS`` of them; the OpenAPI description says the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

log = structlog.get_logger(__name__)

MAX_ERRORS = 20
MAX_TEXT = 300
MAX_LOC = 10


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def clean_error(error: Any) -> dict[str, Any]:
    """One validation error as answered: type, location, message; no input, no context."""
    if not isinstance(error, dict):
        return {"type": "value_error", "loc": [], "msg": "invalid request"}
    loc = [p if isinstance(p, int) else _short(str(p)) for p in error.get("loc", ())]
    return {
        "type": _short(str(error.get("type", "value_error"))),
        "loc": loc[:MAX_LOC],
        "msg": _short(str(error.get("msg", "invalid value"))),
    }


def _answer(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse({"detail": errors}, status_code=422)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _answer([clean_error(e) for e in list(exc.errors())[:MAX_ERRORS]])


async def _overflow(request: Request, exc: Exception) -> JSONResponse:
    # a number too large for the database (e.g. an unbounded offset): the request's fault
    log.warning("request.number_out_of_range", path=request.url.path, error=str(exc)[:200])
    return _answer(
        [{"type": "overflow", "loc": ["query"], "msg": "a number in the request is out of range"}]
    )


async def _bad_text(request: Request, exc: Exception) -> JSONResponse:
    # text that cannot be stored (a lone surrogate, bytes that are not UTF-8)
    log.warning("request.bad_text", path=request.url.path, error=type(exc).__name__)
    return JSONResponse({"detail": "the request holds text that is not valid UTF-8"}, 400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    methods = allowed_methods(request) if exc.status_code == 405 else []
    if methods:
        # Starlette names only the first route's methods; a path served by several routes
        # (GET and POST /v1/analyses) must list them all
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    return await http_exception_handler(request, exc)


METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this request's path (each one asked in turn)."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def install(app: FastAPI) -> None:
    """Register the error answers and trim the documented 422 schema to match them."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(OverflowError, _overflow)
    app.add_exception_handler(UnicodeError, _bad_text)
    app.openapi = _openapi_without_inputs(app)  # type: ignore[method-assign]  # FastAPI's hook


def _openapi_without_inputs(app: FastAPI) -> Callable[[], dict[str, Any]]:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            error = schema.get("components", {}).get("schemas", {}).get("ValidationError")
            if error is not None:
                for key in ("input", "ctx"):
                    error.get("properties", {}).pop(key, None)
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi
