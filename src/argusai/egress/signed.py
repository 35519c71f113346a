"""Signed JSON POSTs to URLs someone gave us: analysis callbacks and notification webhooks.

The body is JSON; ``X-Argus-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the exact
body with the receiver's secret, and ``X-Argus-Timestamp`` repeats the body's ``sent_at``
(epoch seconds, covered by the signature) so receivers can refuse replays. Each hop is
checked against the SSRF rules (:mod:`argusai.egress.ssrf`) and connected to by the checked
address (the host name is kept for the ``Host`` header and TLS). Only same-origin 307/308
redirects are followed (by hand, at most 3): the body and its signature never go to
another host, scheme or port, and a 301/302/303 (which would turn the POST into a GET)
ends the attempt as a failure that says why.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from argusai.egress.ssrf import Resolver, Target, check_url, system_resolver

SIGNATURE_HEADER = "X-Argus-Signature-256"
TIMESTAMP_HEADER = "X-Argus-Timestamp"
MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_FOLLOWED = {307, 308}  # method and body kept by definition
_NOT_FOLLOWED = {301, 302, 303}  # clients turn these POSTs into GETs: not for a signed body


class CallbackFailed(Exception):
    """The receiver could not be reached or did not answer 2xx."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is the one ``sign`` gives (for receivers and tests)."""
    return hmac.compare_digest(sign(secret, body), signature)


def _pinned_url(target: Target) -> str:
    parts = urlsplit(target.url)
    host = f"[{target.address}]" if ":" in target.address else target.address
    return urlunsplit((parts.scheme, f"{host}:{target.port}", parts.path or "/", parts.query, ""))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").rstrip(".").lower(), port


def _next_hop(url: str, status: int, location: str | None) -> str:
    """The URL a redirect leads to, if signed posts may follow it; CallbackFailed if not."""
    if not location:
        raise CallbackFailed(f"the receiver answered {status} without a Location", status=status)
    if status in _NOT_FOLLOWED:
        raise CallbackFailed(
            f"the receiver answered {status} (a redirect that would drop the POST body); "
            "callbacks follow only same-origin 307/308 redirects",
            status=status,
        )
    target = urljoin(url, location)
    if _origin(target) != _origin(url):
        scheme, host, port = _origin(target)
        raise CallbackFailed(
            f"the receiver redirected ({status}) to another origin ({scheme}://{host}:{port}); "
            "callbacks never send the body or signature to another host",
            status=status,
        )
    return target


def post_signed(
    url: str,
    body: bytes,
    secret: str,
    *,
    allowlist: tuple[str, ...],
    resolver: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
    user_agent: str = "ArgusAI-Callback/1",
) -> int:
    """POST ``body`` to ``url`` (same-origin 307/308 followed by hand); the final status.

    UnsafeURL when a hop is refused by the SSRF rules; CallbackFailed (with the status, if
    any) when the receiver cannot be reached or does not answer 2xx.
    """
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        SIGNATURE_HEADER: sign(secret, body),
        TIMESTAMP_HEADER: str(json.loads(body).get("sent_at", "")),
    }
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False, transport=transport) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target = check_url(url, allowlist, resolver)
            host_header = (
                target.host if urlsplit(url).port is None else f"{target.host}:{target.port}"
            )
            try:
                response = client.post(
                    _pinned_url(target),
                    content=body,
                    headers={**headers, "Host": host_header},
                    extensions={"sni_hostname": target.host} if target.scheme == "https" else {},
                )
            except httpx.HTTPError as exc:
                raise CallbackFailed(f"{type(exc).__name__}: {exc}") from None
            status = response.status_code
            if status in _FOLLOWED or status in _NOT_FOLLOWED:
                url = _next_hop(url, status, response.headers.get("location"))
                continue
            if 200 <= status < 300:
                return status
            raise CallbackFailed(f"the receiver answered {status}", status=status)
    raise CallbackFailed(f"more than {MAX_REDIRECTS} redirects")
