"""What a tenant's usage tells the notification channels: 80 % and 100 % of the month's
quota, once each per tenant and month (the event key; this process also remembers)."""

from __future__ import annotations

import math
import threading

import structlog
from sqlalchemy import select

from argusai.ciapi import usage
from argusai.ciapi.models import ApiUsage, Organization
from argusai.notify import events
from argusai.notify.emit import emit
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)

#: fractions of the quota that are announced, highest first
THRESHOLDS = (100, 80)

_told: set[tuple[str, str, int]] = set()
_lock = threading.Lock()


def check_quota(rt: Runtime, tenant_id: str, quota: int | None) -> None:
    """After a request was counted: emit ``quota`` for the highest threshold reached (never
    raises: the request it follows is not failed for a notification)."""
    if not quota:
        return
    try:
        _check(rt, tenant_id, quota)
    except Exception as exc:  # noqa: BLE001 - a notice must not fail the API request
        log.warning("quota notice not checked", tenant_id=tenant_id, error=type(exc).__name__)


def _check(rt: Runtime, tenant_id: str, quota: int) -> None:
    period = usage.period_of()
    with rt.db.session() as s:
        used = s.scalar(
            select(ApiUsage.request_count).where(
                ApiUsage.tenant_id == tenant_id, ApiUsage.period == period
            )
        )
    if used is None:
        return
    for percent in THRESHOLDS:
        if used < math.ceil(quota * percent / 100):
            continue
        with _lock:
            if (tenant_id, period, percent) in _told:
                return
            _told.add((tenant_id, period, percent))
        with rt.db.session() as s:
            name = s.scalar(select(Organization.name).where(Organization.id == tenant_id))
        emit(
            rt,
            events.quota(
                tenant_id=tenant_id,
                tenant_name=name or tenant_id,
                period=period,
                used=int(used),
                limit=quota,
                percent=percent,
            ),
        )
        return
