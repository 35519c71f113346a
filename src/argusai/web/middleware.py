"""Response headers every answer gets: ``nosniff`` everywhere, ``no-store`` on the API.

Plain ASGI (no ``BaseHTTPMiddleware``): it only edits the response's start message, so
bodies stream through untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from argusai.asgi.http_middleware import HttpMiddleware

#: answers that are per request (and may be per tenant): never kept by a cache
NO_STORE_PREFIXES = ("/v1/", "/webhooks/")
NO_STORE_PATHS = frozenset({"/v1", "/healthz", "/readyz", "/metrics"})


def is_api_path(path: str) -> bool:
    """True for the paths whose answers must not be cached."""
    return path in NO_STORE_PATHS or path.startswith(NO_STORE_PREFIXES)


class SecurityHeaders(HttpMiddleware):
    """Adds ``X-Content-Type-Options: nosniff`` and, on API paths, ``Cache-Control: no-store``."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to its response's start message."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        no_store = is_api_path(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = list(message.get("headers", []))
                headers = MutableHeaders(raw=raw)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if no_store:
                    headers["Cache-Control"] = "no-store"
                message["headers"] = raw
            await send(message)

        await self.app(scope, receive, send_with_headers)
