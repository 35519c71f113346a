"""Usage per tenant and calendar month (``api_usage``), and the monthly quota check."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from argusai.ciapi.models import ApiUsage
from argusai.store.db import Database


def period_of(when: datetime | None = None) -> str:
    """The usage period (``YYYY-MM``, UTC) of a time, now by default."""
    return (when or datetime.now(UTC)).strftime("%Y-%m")


def seconds_to_next_period(when: datetime | None = None) -> int:
    """Seconds until the next month starts (UTC): when a spent quota comes back."""
    now = when or datetime.now(UTC)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return max(1, int((datetime(year, month, 1, tzinfo=UTC) - now).total_seconds()))


def _ensure_row(db: Database, tenant_id: str, period: str) -> None:
    with db.session() as s:
        if s.scalar(
            select(ApiUsage.id).where(ApiUsage.tenant_id == tenant_id, ApiUsage.period == period)
        ):
            return
    try:
        with db.session() as s:
            s.add(ApiUsage(tenant_id=tenant_id, period=period))
    except IntegrityError:
        pass  # another request created it first


def take_request(db: Database, tenant_id: str, quota: int | None, size: int) -> bool:
    """Count one request of ``size`` bytes; False (nothing counted) when the quota is spent.

    A single conditional UPDATE, so concurrent requests cannot overshoot the quota.
    """
    period = period_of()
    _ensure_row(db, tenant_id, period)
    stmt = update(ApiUsage).where(ApiUsage.tenant_id == tenant_id, ApiUsage.period == period)
    if quota is not None:
        stmt = stmt.where(ApiUsage.request_count < quota)
    with db.session() as s:
        result = s.execute(
            stmt.values(
                request_count=ApiUsage.request_count + 1,
                bytes_processed=ApiUsage.bytes_processed + size,
            ).execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def add_tokens(
    s: Session, tenant_id: str, prompt: int, completion: int, cost: float, period: str | None = None
) -> None:
    """Add an analysis's LLM usage to its tenant's month (row created by ``take_request``)."""
    s.execute(
        update(ApiUsage)
        .where(ApiUsage.tenant_id == tenant_id, ApiUsage.period == (period or period_of()))
        .values(
            prompt_tokens=ApiUsage.prompt_tokens + prompt,
            completion_tokens=ApiUsage.completion_tokens + completion,
            cost_usd=ApiUsage.cost_usd + cost,
        )
        .execution_options(synchronize_session=False)
    )


def usage_rows(db: Database, tenant_id: str | None = None, limit: int = 24) -> list[ApiUsage]:
    """Usage rows, newest period first (one tenant's, or all)."""
    with db.session() as s:
        query = select(ApiUsage).order_by(ApiUsage.period.desc(), ApiUsage.tenant_id)
        if tenant_id is not None:
            query = query.where(ApiUsage.tenant_id == tenant_id)
        return list(s.scalars(query.limit(limit)))
