"""Guards of the analysis API: the API key, the tier's per-minute limit, the audit trail.

The per-minute limit counts per tenant (every key of an organisation shares it), as the
monthly quota does. Failed authentications and refusals over the limit are audited
aggregated (``audit.Aggregated``: one row per source and minute with a count).
"""

from __future__ import annotations

import weakref
from typing import Any

import structlog
from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from argusai.ciapi import apikeys, audit
from argusai.ciapi.apikeys import KeyOwner
from argusai.ciapi.tiers import Tier, tier_named
from argusai.limits import RateLimiter, limits_for
from argusai.limits.policy import MINUTE
from argusai.runtime import Runtime
from argusai.store.db import Database

log = structlog.get_logger(__name__)
_limiters: weakref.WeakKeyDictionary[Any, dict[str, RateLimiter]] = weakref.WeakKeyDictionary()
_aggregated: weakref.WeakKeyDictionary[Database, audit.Aggregated] = weakref.WeakKeyDictionary()


class ApiError(Exception):
    """An error answer with headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def actor(request: Request) -> audit.Actor:
    """Who sent ``request``: the peer address (uvicorn rewrites it from X-Forwarded-For
    only for ``ARGUS_TRUSTED_PROXIES``, see ``web/connections.py``) and the user agent."""
    return audit.Actor(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _limiter(rt: Runtime, tier: Tier) -> RateLimiter | None:
    if tier.requests_per_minute is None:
        return None
    from pyrate_limiter import Rate

    limits = limits_for(rt.settings)
    per = _limiters.setdefault(limits, {})
    if tier.name not in per:
        rate = Rate(tier.requests_per_minute, int(MINUTE * 1000))
        per[tier.name] = RateLimiter(limits.backend, f"api-{tier.name}", [rate])
    return per[tier.name]


def _remaining(limiter: RateLimiter, key: str, limit: int) -> int:
    """Permits left in the window (best effort: the bucket's count after a clean-up)."""
    from argusai.limits.limiter import now_ms

    try:
        entry = limiter._entry(key)  # the limiter exposes no count of its own
        with entry.lock:
            entry.bucket.leak(now_ms())
            count = entry.bucket.count()
    except Exception:  # noqa: BLE001 - a header is not worth failing the request for
        return max(0, limit - 1)
    return max(0, limit - int(count if isinstance(count, int) else limit))


async def authorise(
    request: Request, rt: Runtime, key: str | None, *, need: str
) -> tuple[KeyOwner, Tier, dict[str, str]]:
    """Check the key, its permission ``need`` (403 without) and the per-minute limit; the
    owner, tier and rate headers."""
    owner = await run_in_threadpool(apikeys.authenticate, rt.db, key)
    if owner is None:
        await run_in_threadpool(record_repeated, rt, None, "auth.failed", request)
        raise ApiError(401, "missing, unknown or revoked API key", {"WWW-Authenticate": "ApiKey"})
    if need not in owner.scopes:
        await run_in_threadpool(record_repeated, rt, owner.tenant_id, "auth.forbidden", request)
        held = ", ".join(sorted(owner.scopes)) or "none"
        raise ApiError(403, f"this API key lacks the {need} permission (it has: {held})")
    tier = tier_named(owner.tier)
    limiter = _limiter(rt, tier)
    headers: dict[str, str] = {}
    if limiter is not None and tier.requests_per_minute is not None:
        limit = tier.requests_per_minute
        bucket = f"tenant:{owner.tenant_id}"
        wait = await run_in_threadpool(limiter.acquire, bucket)
        if wait > 0:
            reset = str(max(1, int(wait + 0.999)))
            await run_in_threadpool(
                record_repeated, rt, owner.tenant_id, "ratelimit.exceeded", request
            )
            raise ApiError(
                429,
                f"rate limit exceeded: {limit} requests/minute for the {tier.name} tier",
                {
                    "Retry-After": reset,
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                },
            )
        left = await run_in_threadpool(_remaining, limiter, bucket, limit)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(left),
            "X-RateLimit-Reset": str(int(MINUTE)),
        }
    return owner, tier, headers


def record(
    rt: Runtime,
    tenant_id: str | None,
    action: str,
    request: Request,
    resource_type: str | None,
    resource_id: str | None,
    changes: dict[str, Any] | None = None,
) -> None:
    with rt.db.session() as s:
        audit.record(
            s,
            tenant_id=tenant_id,
            action=action,
            actor=actor(request),
            resource_type=resource_type,
            resource_id=resource_id,
            changes=changes,
        )


def record_repeated(rt: Runtime, tenant_id: str | None, action: str, request: Request) -> None:
    """Audit an action a client can repeat at will: one row per source and minute."""
    aggregated = _aggregated.get(rt.db)
    if aggregated is None:
        aggregated = _aggregated.setdefault(rt.db, audit.Aggregated())
    aggregated.record(rt.db, tenant_id=tenant_id, action=action, actor=actor(request))


def flush_repeated(rt: Runtime) -> None:
    """Write the counts of aggregated audit rows not written yet (at shutdown)."""
    aggregated = _aggregated.get(rt.db)
    if aggregated is not None:
        try:
            aggregated.flush(rt.db)
        except Exception as exc:  # noqa: BLE001 - shutting down: a lost count is no reason to fail
            log.warning("audit.flush_failed", error=type(exc).__name__)
