"""Serving the metrics: who may read them, what a scrape collects, a worker's own endpoint.

Access: with ``ARGUS_METRICS_TOKEN`` set, ``Authorization: Bearer <token>`` is required
(401 otherwise). Without it, only a direct loopback client gets the metrics — no
``X-Forwarded-For`` / ``Forwarded`` header, so a reverse proxy on the same host does not
make them public — and everyone else gets 404, as if there were nothing there.
"""

from __future__ import annotations

import hmac
import ipaddress
import threading
from collections.abc import Callable, Iterable, Mapping
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from argusai.core.closing import ClosesOnExit
from argusai.telemetry.metrics import multiprocess_dir, telemetry

#: headers a proxy adds: their presence means the peer address is not the client's
FORWARDING_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def metrics_access(
    token: str | None,
    *,
    authorization: str | None,
    client: str | None,
    headers: Mapping[str, str],
) -> int:
    """200 when the caller may read the metrics, else 401 (token wrong) or 404 (no token set,
    not a direct loopback client). ``headers`` are the request's, lower-case names."""
    if token:
        scheme, _, given = (authorization or "").partition(" ")
        valid = scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
        return 200 if valid else 401
    forwarded = any(headers.get(name) for name in FORWARDING_HEADERS)
    return 200 if is_loopback(client) and not forwarded else 404


def scrape(*collectors: Collector, local: Iterable[CollectorRegistry] = ()) -> bytes:
    """The exposition text: every process of the host (multiprocess files) or this one's
    registries, plus ``collectors`` computed now (e.g. queue depth from the database)."""
    registry = CollectorRegistry()
    path = multiprocess_dir()
    if path is not None:
        # the local registries write there too; prometheus_client leaves it unannotated
        MultiProcessCollector(registry, str(path))  # type: ignore[no-untyped-call]
    else:
        for own in (telemetry().registry, *local):
            registry.register(own)
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """No access log line per scrape."""


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def metrics_wsgi_app(token: str | None) -> WSGIApp:
    """A WSGI app answering ``GET /metrics`` under :func:`metrics_access`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        status = 404
        if environ.get("PATH_INFO") == "/metrics":
            status = metrics_access(
                token,
                authorization=environ.get("HTTP_AUTHORIZATION"),
                client=environ.get("REMOTE_ADDR"),
                headers=headers,
            )
        if status != 200:
            extra = [("WWW-Authenticate", 'Bearer realm="metrics"')] if status == 401 else []
            reason = "401 Unauthorized" if status == 401 else "404 Not Found"
            start_response(reason, [("Content-Type", "text/plain"), *extra])
            return [reason.encode()]
        body = scrape()
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [body]

    return app


class MetricsServer(ClosesOnExit):
    """A worker's ``/metrics`` on its own port (for workers on other hosts)."""

    def __init__(self, host: str, port: int, token: str | None) -> None:
        self._server = make_server(
            host, port, metrics_wsgi_app(token), server_class=_Server, handler_class=_QuietHandler
        )
        self.port = int(self._server.server_port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="worker-metrics", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
