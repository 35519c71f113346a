"""``web.bodies.read_body``: a size cap and a deadline for any route that reads a body."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from argusai.asgi.bodies import BodyTimeout, BodyTooLarge, read_body
from tests.conftest import make_settings
from tests.integration.live_server import live_app


async def echo(request: Request) -> JSONResponse:
    try:
        body = await read_body(request, cap=1000, timeout=1.0)
    except BodyTooLarge as exc:
        return JSONResponse({"detail": str(exc)}, 413)
    except BodyTimeout as exc:
        return JSONResponse({"detail": str(exc)}, 408, headers={"Connection": "close"})
    return JSONResponse({"size": len(body)})


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    app = Starlette(routes=[Route("/echo", echo, methods=["POST"])])
    with live_app(app, make_settings(tmp_path)) as base:
        yield base + "/echo"


def _trickle(parts: int, pause: float) -> Iterator[bytes]:
    for _ in range(parts):
        yield b"x" * 10
        time.sleep(pause)


def test_whole_body_under_the_cap(url: str) -> None:
    assert httpx.post(url, content=b"x" * 1000).json() == {"size": 1000}


def test_over_the_cap_by_content_length_or_by_counting(url: str) -> None:
    assert httpx.post(url, content=b"x" * 1001).status_code == 413
    chunked = httpx.post(url, content=iter([b"x" * 600, b"x" * 600]))  # no Content-Length
    assert chunked.status_code == 413


def test_a_trickling_body_is_cut_at_the_deadline(url: str) -> None:
    started = time.monotonic()
    r = httpx.post(url, content=_trickle(parts=40, pause=0.1), timeout=10)
    assert r.status_code == 408 and "within 1 seconds" in r.json()["detail"]
    assert time.monotonic() - started < 3
