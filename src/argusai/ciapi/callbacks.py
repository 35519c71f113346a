"""Signed callbacks: POST an async analysis's result to the tenant, safely and with retries.

The body is JSON; ``X-Argus-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the exact
body with the tenant's callback secret, and ``X-Argus-Timestamp`` repeats the body's
``sent_at`` (epoch seconds, covered by the signature) so receivers can refuse replays.
Each hop is checked against SSRF rules and connected to by the checked address (the
host name is kept for the ``Host`` header and TLS). Only same-origin 307/308 redirects
are followed (by hand, at most 3): the body and its signature never go to another host,
scheme or port, and a 301/302/303 (which would turn the POST into a GET) ends the
attempt as a failure that says why.

Consecutive failures disable the tenant's default endpoint only when they were
deliveries to that default URL; a per-request ``callback_url`` has its own retry budget
(``ARGUS_CI_CALLBACK_MAX_FAILURES`` attempts) and never disables the default.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import structlog
from sqlalchemy.orm import Session

from argusai.ciapi import audit, secretbox
from argusai.ciapi.analyses import view
from argusai.ciapi.ssrf import Resolver, Target, UnsafeURL, check_url, system_resolver
from argusai.ciapi.tenants import webhook_of
from argusai.cilog.models import Analysis, AnalysisStatus
from argusai.core.backoff import backoff_seconds
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.store.models import utcnow

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Argus-Signature-256"
TIMESTAMP_HEADER = "X-Argus-Timestamp"
MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_FOLLOWED = {307, 308}  # method and body kept by definition
_NOT_FOLLOWED = {301, 302, 303}  # clients turn these POSTs into GETs: not for a signed body
_SYSTEM = audit.Actor(ip=None, user_agent="argus-worker")


class CallbackFailed(Exception):
    """The receiver could not be reached or did not answer 2xx."""


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
    """The URL a redirect leads to, if callbacks may follow it; CallbackFailed if not."""
    if not location:
        raise CallbackFailed(f"the receiver answered {status} without a Location")
    if status in _NOT_FOLLOWED:
        raise CallbackFailed(
            f"the receiver answered {status} (a redirect that would drop the POST body); "
            "callbacks follow only same-origin 307/308 redirects"
        )
    target = urljoin(url, location)
    if _origin(target) != _origin(url):
        scheme, host, port = _origin(target)
        raise CallbackFailed(
            f"the receiver redirected ({status}) to another origin ({scheme}://{host}:{port}); "
            "callbacks never send the body or signature to another host"
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
) -> int:
    """POST ``body`` to ``url`` (same-origin 307/308 followed by hand); the final status."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ArgusAI-Callback/1",
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
            raise CallbackFailed(f"the receiver answered {status}")
    raise CallbackFailed(f"more than {MAX_REDIRECTS} redirects")


def payload(row: Analysis) -> bytes:
    """The exact bytes sent for an analysis."""
    event = "analysis.completed" if row.status == AnalysisStatus.COMPLETED else "analysis.failed"
    data = {
        "event": event,
        "sent_at": int(time.time()),
        "analysis": view(row).model_dump(mode="json"),
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Outcome:
    """What a delivery attempt led to; ``retry_in`` seconds when it should be tried again."""

    status: str
    retry_in: float | None = None


def deliver(
    db: Database,
    settings: Settings,
    analysis_id: str,
    *,
    resolver: Resolver = system_resolver,
    post: Callable[..., int] = post_signed,
) -> Outcome:
    """Try one delivery of a finished analysis's callback and record what happened."""
    with db.session() as s:
        row = s.get(Analysis, analysis_id)
        if row is None or not row.callback_url or row.tenant_id is None:
            return Outcome("none")
        if row.callback_status in ("sent", "refused", "disabled", "failed"):
            return Outcome(row.callback_status)
        hook = webhook_of(s, row.tenant_id)
        # only the default URL's health is the endpoint's: a per-request URL is judged alone
        to_default = hook is not None and hook.url is not None and row.callback_url == hook.url
        if hook is None or (to_default and not hook.active):
            row.callback_status = "disabled"
            return Outcome("disabled")
        body, url, tenant_id = payload(row), row.callback_url, row.tenant_id
        secret = secretbox.decrypt(settings, hook.secret_encrypted)
    bound = log.bind(analysis_id=analysis_id, tenant_id=tenant_id, default_url=to_default)
    error: str | None = None
    refused = False
    try:
        post(url, body, secret, allowlist=settings.ci_callback_allowlist, resolver=resolver)
    except UnsafeURL as exc:
        error, refused = exc.detail, True
    except CallbackFailed as exc:
        error = str(exc)
    with db.session() as s:
        row = s.get(Analysis, analysis_id)
        hook = webhook_of(s, tenant_id)
        assert row is not None and hook is not None
        row.callback_attempts += 1
        if to_default:
            hook.last_called_at = utcnow()
        if error is None:
            row.callback_status = "sent"
            if to_default:
                hook.failure_count = 0
            _audit(s, tenant_id, "callback.sent", analysis_id)
            bound.info("ci.callback_sent", attempts=row.callback_attempts)
            return Outcome("sent")
        if refused:
            row.callback_status = "refused"
            # the audit trail says refused, not why: the reason may name internal addresses
            _audit(s, tenant_id, "callback.refused", analysis_id, {"reason": "not allowed"})
            bound.warning("ci.callback_refused", reason=error[:300])
            return Outcome("refused")
        limit = settings.ci_callback_max_failures
        if to_default:
            hook.failure_count += 1
        bound.warning(
            "ci.callback_failed",
            error=error[:300],
            attempts=row.callback_attempts,
            endpoint_failures=hook.failure_count if to_default else None,
        )
        if to_default and hook.failure_count >= limit:
            hook.active = False
            row.callback_status = "failed"
            audit.record(
                s,
                tenant_id=tenant_id,
                action="webhook.disabled",
                actor=_SYSTEM,
                resource_type="webhook",
                resource_id=hook.id,
                changes={"failure_count": hook.failure_count},
            )
            return Outcome("disabled")
        if row.callback_attempts >= limit:
            row.callback_status = "failed"
            _audit(s, tenant_id, "callback.failed", analysis_id, {"error": error[:300]})
            return Outcome("failed")
        _audit(
            s,
            tenant_id,
            "callback.failed",
            analysis_id,
            {"error": error[:300], "attempt": row.callback_attempts},
        )
        return Outcome(
            "pending",
            retry_in=backoff_seconds(row.callback_attempts, settings.job_retry_delay_seconds),
        )


def _audit(
    s: Session,
    tenant_id: str,
    action: str,
    analysis_id: str,
    changes: dict[str, Any] | None = None,
) -> None:
    audit.record(
        s,
        tenant_id=tenant_id,
        action=action,
        actor=_SYSTEM,
        resource_type="analysis",
        resource_id=analysis_id,
        changes=changes,
    )
