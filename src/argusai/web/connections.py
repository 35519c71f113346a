"""``argus serve``'s HTTP server: uvicorn, with a deadline on every phase of a connection.

What uvicorn (httptools or h11) bounds by itself: an idle keep-alive connection after a
response (``timeout_keep_alive``), the number of connections + tasks before answering 503
(``limit_concurrency``) and, with h11 only, the size of a request head
(``h11_max_incomplete_event_size``). What it does not (tried on 0.55, both parsers): a
connection that never sends a complete request head (a fresh idle connection, or a
partial header) stays open for ever, httptools accepts a head of any size, and nothing
bounds how long a body takes. ``GuardedHttpTools`` adds, per connection:

* a **head deadline** (``ARGUS_HTTP_HEADER_TIMEOUT_SECONDS``) from the connection (or the
  first byte of the next request on a kept-alive one) to the end of the request head:
  then 408 (if anything arrived) and the connection is closed;
* a **head size cap** (``ARGUS_HTTP_MAX_HEADER_BYTES``): 431 and closed;
* a **body deadline** backstop (``ARGUS_HTTP_BODY_TIMEOUT_SECONDS`` + a few seconds of
  grace, so a route's own ``web.bodies`` deadline answers first) from the end of the head
  to the end of the body: 408 if no response has started, and closed; the app sees the
  client as gone (``http.disconnect``).

Forwarded headers (``X-Forwarded-For`` / ``-Proto``) are believed only from
``ARGUS_TRUSTED_PROXIES`` (none by default: the peer address is the client's).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import structlog
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from argusai.asgi.bodies import QuietDisconnects
from argusai.settings import Settings

log = structlog.get_logger(__name__)

BODY_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Deadlines:
    """The per-connection limits ``GuardedHttpTools`` enforces."""

    head_seconds: float
    body_seconds: float
    max_head_bytes: int


class GuardedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with head/body deadlines and a head size cap."""

    deadlines = Deadlines(head_seconds=10.0, body_seconds=65.0, max_head_bytes=64 * 1024)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._in_head = False
        self._head_bytes = 0

    # ---- connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head()  # a connection that never sends a byte is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # the head is still incomplete after this chunk: all of it was head bytes
            self._head_bytes += len(data)
            if self._head_bytes > self.deadlines.max_head_bytes:
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "http.head_too_large")

    # ---- parser callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0
        self._arm_head()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head()
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.more_body:
            self._cancel_body()
            self._body_timer = self.loop.call_later(
                self.deadlines.body_seconds, self._body_expired, self.cycle
            )

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._cancel_body()

    # ---- deadlines -------------------------------------------------------------------------

    def _arm_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.deadlines.head_seconds, self._head_expired)

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _disarm(self) -> None:
        self._cancel_head()
        self._cancel_body()

    def _head_expired(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._in_head:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "http.head_timeout")
        elif self.cycle is None or self.cycle.response_complete:
            self._event("http.idle_closed")  # connected, never sent a byte
            self.transport.close()

    def _body_expired(self, cycle: Any) -> None:
        self._body_timer = None
        if self.transport.is_closing() or cycle is not self.cycle or not cycle.more_body:
            return
        started = cycle.response_started
        cycle.disconnected = True  # the app's receive() answers http.disconnect, sends drop
        cycle.message_event.set()
        if started:
            self._event("http.body_timeout")
            self.transport.close()
        else:
            self._refuse(HTTPStatus.REQUEST_TIMEOUT, "http.body_timeout")

    def _refuse(self, status: HTTPStatus, event: str) -> None:
        self._disarm()
        self._in_head = False
        self._event(event, status=int(status))
        text = status.phrase.encode()
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
            % (int(status), text, len(text), text)
        )
        self.transport.close()

    def _event(self, event: str, **extra: Any) -> None:
        log.info(event, client=self.client[0] if self.client else None, **extra)


def guarded_protocol(settings: Settings) -> type[GuardedHttpTools]:
    """The protocol class for ``settings`` (uvicorn instantiates it per connection)."""
    deadlines = Deadlines(
        head_seconds=settings.http_header_timeout_seconds,
        body_seconds=settings.http_body_timeout_seconds + BODY_GRACE_SECONDS,
        max_head_bytes=settings.http_max_header_bytes,
    )
    return type("ArgusHttpProtocol", (GuardedHttpTools,), {"deadlines": deadlines})


def server_config(app: ASGIApp, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's configuration for ``argus serve``: deadlines, limits, trusted proxies."""
    proxies = list(settings.trusted_proxies)
    return uvicorn.Config(
        QuietDisconnects(app),
        host=host,
        port=port,
        http=guarded_protocol(settings),
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        timeout_keep_alive=settings.http_keepalive_seconds,
        limit_concurrency=settings.http_max_concurrency,
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )
