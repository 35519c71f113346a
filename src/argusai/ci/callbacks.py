"""Signed callbacks: POST an async analysis's result to the tenant, safely and with retries.

The body is JSON; ``X-Argus-Signature-256: sha256=<hex>`` is the HMAC-SHA256 of the exact
body with the tenant's callback secret, and ``X-Argus-Timestamp`` repeats the body's
``sent_at`` (epoch seconds, covered by the signature) so receivers can refuse replays.
Each hop is checked against SSRF rules and connected to by the checked address (the
host name is kept for the ``Host`` header and TLS), redirects are followed by hand (at
most 3), and consecutive failures disable the tenant's endpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import structlog

from argusai.ci import audit, secretbox
from argusai.ci.analyses import view
from argusai.ci.models import Analysis, AnalysisStatus
from argusai.ci.ssrf import Resolver, Target, UnsafeURL, check_url, system_resolver
from argusai.ci.tenants import webhook_of
from argusai.jobs.workitems import backoff_seconds
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.store.models import utcnow

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-Argus-Signature-256"
TIMESTAMP_HEADER = "X-Argus-Timestamp"
MAX_REDIRECTS = 3
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_REDIRECTS = {301, 302, 303, 307, 308}
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


def post_signed(
    url: str,
    body: bytes,
    secret: str,
    *,
    allowlist: tuple[str, ...],
    resolver: Resolver = system_resolver,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """POST ``body`` to ``url`` (redirects checked and followed by hand); the final status."""
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
            location = response.headers.get("location")
            if response.status_code in _REDIRECTS and location:
                url = urljoin(url, location)
                continue
            if 200 <= response.status_code < 300:
                return response.status_code
            raise CallbackFailed(f"the receiver answered {response.status_code}")
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
        if hook is None or not hook.active:
            row.callback_status = "disabled"
            return Outcome("disabled")
        body, url, tenant_id = payload(row), row.callback_url, row.tenant_id
        secret = secretbox.decrypt(settings, hook.secret_encrypted)
    bound = log.bind(analysis_id=analysis_id, tenant_id=tenant_id)
    error: str | None = None
    refused = False
    try:
        post(url, body, secret, allowlist=settings.ci_callback_allowlist, resolver=resolver)
    except UnsafeURL as exc:
        error, refused = str(exc), True
    except CallbackFailed as exc:
        error = str(exc)
    with db.session() as s:
        row = s.get(Analysis, analysis_id)
        hook = webhook_of(s, tenant_id)
        assert row is not None and hook is not None
        row.callback_attempts += 1
        hook.last_called_at = utcnow()
        if error is None:
            row.callback_status, hook.failure_count = "sent", 0
            audit.record(
                s,
                tenant_id=tenant_id,
                action="callback.sent",
                actor=_SYSTEM,
                resource_type="analysis",
                resource_id=analysis_id,
            )
            bound.info("ci.callback_sent", attempts=row.callback_attempts)
            return Outcome("sent")
        if refused:
            row.callback_status = "refused"
            audit.record(
                s,
                tenant_id=tenant_id,
                action="callback.refused",
                actor=_SYSTEM,
                resource_type="analysis",
                resource_id=analysis_id,
                changes={"reason": error[:300]},
            )
            bound.warning("ci.callback_refused", reason=error[:300])
            return Outcome("refused")
        hook.failure_count += 1
        limit = settings.ci_callback_max_failures
        bound.warning("ci.callback_failed", error=error[:300], failures=hook.failure_count)
        if hook.failure_count >= limit:
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
            return Outcome("failed")
        audit.record(
            s,
            tenant_id=tenant_id,
            action="callback.failed",
            actor=_SYSTEM,
            resource_type="analysis",
            resource_id=analysis_id,
            changes={"error": error[:300], "attempt": row.callback_attempts},
        )
        return Outcome(
            "pending",
            retry_in=backoff_seconds(row.callback_attempts, settings.job_retry_delay_seconds),
        )
