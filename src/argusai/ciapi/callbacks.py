"""Signed callbacks: POST an async analysis's result to the tenant, safely and with retries.

The body is JSON, signed with the tenant's callback secret and sent by
:func:`argusai.egress.signed.post_signed` (``X-Argus-Signature-256`` over the exact body,
``X-Argus-Timestamp``, SSRF-checked hops connected to by the checked address, only
same-origin 307/308 redirects followed); notification webhooks are signed the same way.

A tenant's webhook may list the events it wants (``analysis.completed``,
``analysis.failed``; none listed: both): a callback for another event is not sent, its
state is ``filtered``. The list holds for every callback of the tenant, to its default URL
or to a per-request ``callback_url``.

Consecutive failures disable the tenant's default endpoint only when they were
deliveries to that default URL; a per-request ``callback_url`` has its own retry budget
(``ARGUS_CI_CALLBACK_MAX_FAILURES`` attempts) and never disables the default.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.orm import Session

from argusai.ciapi import audit
from argusai.ciapi.analyses import view
from argusai.ciapi.tenants import subscribed, webhook_of
from argusai.cilog.models import Analysis, AnalysisStatus
from argusai.core.backoff import backoff_seconds
from argusai.egress import secretbox
from argusai.egress.signed import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    CallbackFailed,
    post_signed,
    sign,
    verify,
)
from argusai.egress.ssrf import Resolver, UnsafeURL, system_resolver
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.store.models import utcnow

#: the signing scheme lives in egress (notification webhooks share it); receivers import it here
__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "CallbackFailed",
    "Outcome",
    "deliver",
    "payload",
    "post_signed",
    "sign",
    "verify",
]

log = structlog.get_logger(__name__)

_SYSTEM = audit.Actor(ip=None, user_agent="argus-worker")


def event_of(row: Analysis) -> str:
    """The event a finished analysis makes: ``analysis.completed`` or ``analysis.failed``."""
    return "analysis.completed" if row.status == AnalysisStatus.COMPLETED else "analysis.failed"


def payload(row: Analysis) -> bytes:
    """The exact bytes sent for an analysis."""
    data = {
        "event": event_of(row),
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
        if row.callback_status in ("sent", "refused", "disabled", "failed", "filtered"):
            return Outcome(row.callback_status)
        hook = webhook_of(s, row.tenant_id)
        if hook is not None and not subscribed(hook, event_of(row)):
            # the tenant chose its events (``argus tenant webhook --events``): not this one
            row.callback_status = "filtered"
            return Outcome("filtered")
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
