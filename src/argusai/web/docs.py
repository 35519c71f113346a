"""``/docs``: Swagger UI served from this server (no CDN), under a strict CSP.

FastAPI's own page loads Swagger UI from a CDN: blank offline, no integrity check, any
script the CDN serves runs next to the API key a visitor types in. Here the files come
from the ``fastapi-offline`` package (Swagger UI's release, kept up to date there) and
the start-up script is a file of ours, so the page allows scripts from 'self' only.
ReDoc is not served: one reference page is enough, and its workers want ``blob:``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

_HERE = Path(__file__).parent
STATIC_PATH = "/docs/static"
# Swagger UI sets inline styles and uses data: images; it fetches only the OpenAPI JSON
# and the API itself ("Try it out"), both on this origin
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)

router = APIRouter()


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("docs.html")


def _assets() -> StaticFiles:
    import fastapi_offline  # ships Swagger UI's files: only its static folder is used

    swagger = Path(fastapi_offline.__file__).parent / "static"
    return StaticFiles(directory=swagger, packages=[("argusai.web", "static/docs")])


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def swagger_ui(request: Request) -> HTMLResponse:
    """The API reference (Swagger UI) for this server's OpenAPI description."""
    root = request.scope.get("root_path", "")
    page = _template().render(
        title=request.app.title,
        openapi_url=f"{root}{request.app.openapi_url}",
        static_base=f"{root}{STATIC_PATH}",
    )
    return HTMLResponse(
        page,
        headers={
            "Content-Security-Policy": CSP,
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its files; the app must be built with ``docs_url=None``."""
    app.mount(STATIC_PATH, _assets(), name="docs_static")
    app.include_router(router)
