"""The one work-item state machine: queued → running → done | failed | superseded.

Every function works on any :class:`WorkTable`. A claim is one atomic UPDATE under a lease
owner, so a message delivered twice runs once; every later change of a running item is
checked against that owner, so a worker whose lease was taken over changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update

from argusai.store.db import Database
from argusai.store.models import DeadLetter, utcnow
from argusai.workq.table import WorkTable

#: queue clocks may fire a scheduled retry a little early
EARLY = timedelta(seconds=2)


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _lease_expired(t: WorkTable, now: Any) -> Any:
    """A running item whose lease ran out (and that the table lets another worker take over)."""
    expired = and_(t.col("status") == t.words.running, t.col("lease_expires_at") < now)
    if t.takeover is not None:
        expired = and_(expired, t.takeover())
    return expired


def _update_held(db: Database, t: WorkTable, item_id: Any, owner: str, values: Any) -> bool:
    """Set ``values`` on the item while ``owner`` still runs it; False when it is not ours."""
    with db.session() as s:
        result = s.execute(
            update(t.model)
            .where(
                t.col("id") == item_id,
                t.col("status") == t.words.running,
                t.col("lease_owner") == owner,
            )
            .values(values)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result) == 1


def claim(db: Database, t: WorkTable, item_id: Any, lease_seconds: int, owner: str) -> Any | None:
    """Take a due queued item (or one whose lease expired); the detached row, or None."""
    now = utcnow()
    w = t.words
    expired = _lease_expired(t, now)
    with db.session() as s:
        result = s.execute(
            update(t.model)
            .where(
                t.col("id") == item_id,
                or_(
                    and_(t.col("status") == w.queued, t.col("next_attempt_at") <= now + EARLY),
                    expired,
                ),
            )
            .values(
                t.values(
                    status=w.running,
                    started_at=now,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    lease_owner=owner,
                    attempts=t.col("attempts") + 1,
                )
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            return None
        row = s.get(t.model, item_id)
        if row is not None:
            s.refresh(row)
            s.expunge(row)
        return row


def status(db: Database, t: WorkTable, item_id: Any) -> str | None:
    """The item's status word; None when there is no such item."""
    with db.session() as s:
        value = s.scalar(select(t.col("status")).where(t.col("id") == item_id))
    return None if value is None else str(value)


def holds(db: Database, t: WorkTable, item_id: Any, owner: str) -> bool:
    """True while ``owner`` runs the item (not superseded, lease not taken over)."""
    with db.session() as s:
        row = s.execute(
            select(t.col("status"), t.col("lease_owner")).where(t.col("id") == item_id)
        ).first()
    return row is not None and row[0] == t.words.running and row[1] == owner


def extend_lease(db: Database, t: WorkTable, item_id: Any, lease_seconds: int, owner: str) -> bool:
    """Heartbeat: push the lease forward; False when the item is no longer ours."""
    lease_expires_at = utcnow() + timedelta(seconds=lease_seconds)
    return _update_held(db, t, item_id, owner, t.values(lease_expires_at=lease_expires_at))


def finish(
    db: Database,
    t: WorkTable,
    item_id: Any,
    owner: str,
    status: str,
    *,
    error: str | None = None,
    **values: Any,
) -> bool:
    """Close a running item with ``status`` (and extra ``values``) while ``owner`` holds it."""
    closed = t.values(
        status=status,
        completed_at=utcnow(),
        error_message=error[: t.error_limit] if error else None,
        lease_expires_at=None,
    )
    return _update_held(db, t, item_id, owner, {**closed, **values})


def retry_later(
    db: Database,
    t: WorkTable,
    kind: str,
    item_id: Any,
    owner: str,
    *,
    error: str,
    max_retries: int,
    delay: float,
) -> bool:
    """Re-queue a failed attempt after ``delay``; past the budget: failed + dead letter.

    True when it will be retried; False when it became a dead letter or is not ours.
    """
    w = t.words
    with db.session() as s:
        row = s.get(t.model, item_id, with_for_update=True)
        if row is None or t.get(row, "lease_owner") != owner or t.get(row, "status") != w.running:
            return False
        attempts = int(t.get(row, "attempts"))
        now = utcnow()
        if attempts > max_retries:
            for name, value in t.values(
                status=w.failed,
                completed_at=now,
                error_message=f"gave up after {attempts} attempts: {error}"[: t.error_limit],
                lease_expires_at=None,
            ).items():
                setattr(row, name, value)
            s.add(
                DeadLetter(kind=kind, item_id=str(item_id), reason=error[:2000], attempts=attempts)
            )
            return False
        for name, value in t.values(
            status=w.queued,
            error_message=error[: t.error_limit],
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=max(0.0, delay)),
            dispatched_at=now,
        ).items():
            setattr(row, name, value)
        return True


def defer(
    db: Database, t: WorkTable, item_id: Any, owner: str, *, reason: str, delay: float
) -> bool:
    """Re-queue for ``delay`` s WITHOUT spending the retry budget (rate limits, breaker, admission).

    The attempt counted by :func:`claim` is given back. False when ``owner`` lost the item.
    """
    attempts = t.col("attempts")
    now = utcnow()
    requeued = t.values(
        status=t.words.queued,
        attempts=case((attempts > 0, attempts - 1), else_=0),
        error_message=f"deferred: {reason}"[:500],
        lease_expires_at=None,
        next_attempt_at=now + timedelta(seconds=max(0.0, delay)),
        dispatched_at=now,
    )
    return _update_held(db, t, item_id, owner, requeued)


def mark_dispatched(db: Database, t: WorkTable, item_id: Any, dispatched: bool = True) -> None:
    """Note that a queue message was sent for this item (or, failing that, was not)."""
    with db.session() as s:
        s.execute(
            update(t.model)
            .where(t.col("id") == item_id)
            .values(t.values(dispatched_at=utcnow() if dispatched else None))
            .execution_options(synchronize_session=False)
        )


def due_for_dispatch(
    db: Database, t: WorkTable, *, stale_after: timedelta, limit: int = 100
) -> list[Any]:
    """Items the sweeper must (re-)dispatch: never sent, message lost, or lease abandoned."""
    now = utcnow()
    w = t.words
    expired = _lease_expired(t, now)
    with db.session() as s:
        rows = s.scalars(
            select(t.col("id"))
            .where(
                or_(
                    and_(
                        t.col("status") == w.queued,
                        t.col("next_attempt_at") <= now,
                        or_(
                            t.col("dispatched_at").is_(None),
                            t.col("dispatched_at") < now - stale_after,
                        ),
                    ),
                    expired,
                )
            )
            .order_by(t.col("next_attempt_at"))
            .limit(limit)
        ).all()
    return list(rows)


def retry_dead(db: Database, t: WorkTable, kind: str, item_id: Any) -> bool:
    """Re-queue a failed item with a fresh budget, closing its dead letters; False if not failed."""
    with db.session() as s:
        result = s.execute(
            update(t.model)
            .where(t.col("id") == item_id, t.col("status") == t.words.failed)
            .values(
                t.values(
                    status=t.words.queued,
                    attempts=0,
                    next_attempt_at=utcnow(),
                    dispatched_at=None,
                    completed_at=None,
                    lease_expires_at=None,
                    lease_owner=None,
                )
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            return False
        s.execute(
            update(DeadLetter)
            .where(
                DeadLetter.kind == kind,
                DeadLetter.item_id == str(item_id),
                DeadLetter.retried_at.is_(None),
            )
            .values(retried_at=utcnow())
        )
        return True
