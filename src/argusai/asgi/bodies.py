"""Request bodies: read with a size cap and a deadline; a client gone mid-body is no error.

uvicorn bounds neither how long a body may take nor reports a client that hangs up
half-way as anything but an exception in the app. So:

* ``read_body(request, cap, timeout)`` reads the whole body, refusing past ``cap`` bytes
  (``BodyTooLarge``, also when ``Content-Length`` says so up front) and past ``timeout``
  seconds (``BodyTimeout``: a slow or stalled sender) — for every route that reads a body;
  ``body_deadline(timeout)`` puts the same deadline around a reader of one's own.
* ``QuietDisconnects`` wraps the app: a ``ClientDisconnect`` that escapes a route (the
  client closed the connection before sending its whole body) is logged at info, without
  a traceback, and nothing is answered (no one is listening).

``web/connections.py`` adds a server-side backstop for routes that do not use these.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope, Send

from argusai.asgi.http_middleware import HttpMiddleware

log = structlog.get_logger(__name__)


class BodyTooLarge(Exception):
    """The body is over the cap (answer 413)."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"request body over the limit of {cap} bytes")
        self.cap = cap


class BodyTimeout(Exception):
    """The body did not arrive in time (answer 408)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"request body not received within {seconds:g} seconds")
        self.seconds = seconds


@asynccontextmanager
async def body_deadline(seconds: float) -> AsyncIterator[None]:
    """Raise BodyTimeout when the block (reading a body) takes over ``seconds``."""
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError:
        raise BodyTimeout(seconds) from None


async def read_body(request: Request, cap: int, timeout: float) -> bytes:
    """The raw body: BodyTooLarge past ``cap`` bytes, BodyTimeout past ``timeout`` seconds.

    A client that disconnects half-way raises starlette's ``ClientDisconnect``.
    """
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        raise BodyTooLarge(cap)
    chunks: list[bytes] = []
    total = 0
    async with body_deadline(timeout):
        async for chunk in request.stream():
            total += len(chunk)
            if total > cap:
                raise BodyTooLarge(cap)
            chunks.append(chunk)
    return b"".join(chunks)


class QuietDisconnects(HttpMiddleware):
    """ASGI wrapper: a client that hung up mid-request is an info line, not an error."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request; a ClientDisconnect escaping it is logged, not raised."""
        try:
            await self.app(scope, receive, send)
        except ClientDisconnect:
            _gone(scope)
        except BaseExceptionGroup as group:  # raised through a task group
            _matched, rest = group.split(ClientDisconnect)
            if rest is not None:
                raise
            _gone(scope)


def _gone(scope: Scope) -> None:
    client = scope.get("client")
    log.info(
        "http.client_disconnected",
        method=scope.get("method"),
        path=scope.get("path"),
        client=client[0] if client else None,
    )
