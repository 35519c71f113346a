"""The CI run work item's state machine in the database (``ci_runs``), as reviews do it.

queued → running → done | failed | superseded. One row per repository, run id and attempt;
a claim is one atomic UPDATE under a lease owner, so a message delivered twice runs once;
a newer attempt of the same run supersedes older queued or running ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.exc import IntegrityError

from argusai.ci.models import CIRun
from argusai.store.db import Database
from argusai.store.models import (
    ACTIVE_STATUSES,
    DeadLetter,
    DeliveryStatus,
    ReviewStatus,
    WebhookDelivery,
    utcnow,
)

CI_KIND = "ci_run"
RunStatus = ReviewStatus  # the same five states


@dataclass(frozen=True)
class CIRequest:
    """What a ``workflow_run.completed`` delivery asks for: explain (or close) this attempt."""

    installation_id: int
    repo_name: str
    run_id: int
    run_attempt: int
    workflow_name: str | None
    head_sha: str
    conclusion: str
    pr_numbers: tuple[int, ...]
    html_url: str | None = None


@dataclass(frozen=True)
class CIAccepted:
    """Outcome of recording a delivery with its CI run."""

    duplicate: bool
    ci_run_id: int | None


def record_delivery(
    db: Database,
    *,
    delivery_id: str,
    event: str,
    action: str | None,
    request: CIRequest,
) -> CIAccepted:
    """Record the delivery once and create its CI run; a redelivery or a known attempt: none."""
    try:
        with db.session() as s:
            s.add(
                WebhookDelivery(
                    delivery_id=delivery_id,
                    event=event,
                    action=action,
                    installation_id=request.installation_id,
                    repo_name=request.repo_name,
                    status=DeliveryStatus.ACCEPTED.value,
                )
            )
            s.flush()
            known = s.scalar(
                select(CIRun.id).where(
                    CIRun.repo_name == request.repo_name,
                    CIRun.run_id == request.run_id,
                    CIRun.run_attempt == request.run_attempt,
                )
            )
            if known is not None:
                return CIAccepted(duplicate=False, ci_run_id=None)
            s.execute(
                update(CIRun)
                .where(
                    CIRun.repo_name == request.repo_name,
                    CIRun.run_id == request.run_id,
                    CIRun.run_attempt < request.run_attempt,
                    CIRun.status.in_(ACTIVE_STATUSES),
                )
                .values(
                    status=RunStatus.SUPERSEDED.value,
                    completed_at=utcnow(),
                    error_message="superseded by a newer attempt",
                    lease_expires_at=None,
                )
                .execution_options(synchronize_session=False)
            )
            row = CIRun(
                delivery_id=delivery_id,
                installation_id=request.installation_id,
                repo_name=request.repo_name,
                run_id=request.run_id,
                run_attempt=request.run_attempt,
                workflow_name=request.workflow_name,
                head_sha=request.head_sha,
                conclusion=request.conclusion,
                pr_numbers={"numbers": list(request.pr_numbers), "html_url": request.html_url},
                status=RunStatus.QUEUED.value,
                dispatched_at=utcnow(),  # the handler enqueues next (and un-marks on failure)
            )
            s.add(row)
            s.flush()
            return CIAccepted(duplicate=False, ci_run_id=row.id)
    except IntegrityError:
        return CIAccepted(duplicate=True, ci_run_id=None)


def mark_dispatched(db: Database, ci_run_id: int, dispatched: bool = True) -> None:
    """Note that a queue message was sent for this run (or, failing that, was not)."""
    with db.session() as s:
        s.execute(
            update(CIRun)
            .where(CIRun.id == ci_run_id)
            .values(dispatched_at=utcnow() if dispatched else None)
        )


def claim(db: Database, ci_run_id: int, lease_seconds: int, owner: str) -> CIRun | None:
    """Atomically take a queued (or lease-expired running) run; None if not ours to run."""
    now = utcnow()
    early = now + timedelta(seconds=2)  # queue clocks may fire a scheduled retry a bit early
    with db.session() as s:
        result = s.execute(
            update(CIRun)
            .where(
                CIRun.id == ci_run_id,
                or_(
                    and_(CIRun.status == RunStatus.QUEUED.value, CIRun.next_attempt_at <= early),
                    and_(CIRun.status == RunStatus.RUNNING.value, CIRun.lease_expires_at < now),
                ),
            )
            .values(
                status=RunStatus.RUNNING.value,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                lease_owner=owner,
                attempts=CIRun.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = s.get(CIRun, ci_run_id)
        if row is not None:
            s.expunge(row)
        return row


def holds(db: Database, ci_run_id: int, owner: str) -> bool:
    """True while ``owner`` still runs this item (not superseded, lease not taken over)."""
    with db.session() as s:
        row = s.execute(
            select(CIRun.status, CIRun.lease_owner).where(CIRun.id == ci_run_id)
        ).first()
    return row is not None and row[0] == RunStatus.RUNNING.value and row[1] == owner


def newer_attempt(db: Database, item: CIRun) -> int | None:
    """The highest later attempt of the same run recorded, if any."""
    with db.session() as s:
        return s.scalar(
            select(CIRun.run_attempt)
            .where(
                CIRun.repo_name == item.repo_name,
                CIRun.run_id == item.run_id,
                CIRun.run_attempt > item.run_attempt,
            )
            .order_by(CIRun.run_attempt.desc())
            .limit(1)
        )


def earlier_attempts(db: Database, item: CIRun) -> list[CIRun]:
    """Earlier attempts of the same run, newest first (their check run and comment ids)."""
    with db.session() as s:
        rows = list(
            s.scalars(
                select(CIRun)
                .where(
                    CIRun.repo_name == item.repo_name,
                    CIRun.run_id == item.run_id,
                    CIRun.run_attempt < item.run_attempt,
                )
                .order_by(CIRun.run_attempt.desc())
            )
        )
        s.expunge_all()
        return rows


def extend_lease(db: Database, ci_run_id: int, lease_seconds: int, owner: str) -> bool:
    """Heartbeat: push the lease forward; False when the item is no longer ours."""
    with db.session() as s:
        result = s.execute(
            update(CIRun)
            .where(
                CIRun.id == ci_run_id,
                CIRun.status == RunStatus.RUNNING.value,
                CIRun.lease_owner == owner,
            )
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(
    db: Database,
    ci_run_id: int,
    owner: str,
    status: ReviewStatus,
    *,
    error: str | None = None,
    **values: Any,
) -> bool:
    """Close a running item (only while ``owner`` holds it); extra column ``values`` too."""
    with db.session() as s:
        result = s.execute(
            update(CIRun)
            .where(CIRun.id == ci_run_id, CIRun.lease_owner == owner)
            .values(
                status=status.value,
                completed_at=utcnow(),
                error_message=error,
                lease_expires_at=None,
                **values,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def retry_later(
    db: Database, ci_run_id: int, owner: str, *, error: str, max_retries: int, delay: float
) -> bool:
    """Re-queue a failed attempt; past the budget it becomes a dead letter. True: retried."""
    with db.session() as s:
        row = s.get(CIRun, ci_run_id)
        if row is None or row.lease_owner != owner or row.status != RunStatus.RUNNING.value:
            return False
        if row.attempts > max_retries:
            row.status = RunStatus.FAILED.value
            row.completed_at = utcnow()
            row.error_message = f"gave up after {row.attempts} attempts: {error}"[:2000]
            row.lease_expires_at = None
            s.add(DeadLetter(kind=CI_KIND, item_id=ci_run_id, reason=error, attempts=row.attempts))
            return False
        row.status = RunStatus.QUEUED.value
        row.error_message = error[:2000]
        row.lease_expires_at = None
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        row.dispatched_at = utcnow()
        return True


def defer(db: Database, ci_run_id: int, owner: str, *, reason: str, delay: float) -> bool:
    """Re-queue for ``delay`` s without spending the retry budget (rate limits, breaker)."""
    with db.session() as s:
        result = s.execute(
            update(CIRun)
            .where(
                CIRun.id == ci_run_id,
                CIRun.status == RunStatus.RUNNING.value,
                CIRun.lease_owner == owner,
            )
            .values(
                status=RunStatus.QUEUED.value,
                attempts=case((CIRun.attempts > 0, CIRun.attempts - 1), else_=0),
                error_message=f"deferred: {reason}"[:500],
                lease_expires_at=None,
                next_attempt_at=utcnow() + timedelta(seconds=max(0.0, delay)),
                dispatched_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def due_for_dispatch(db: Database, *, stale_after: timedelta, limit: int = 100) -> list[int]:
    """Runs the sweeper must (re-)dispatch: lost messages and abandoned leases."""
    now = utcnow()
    with db.session() as s:
        rows = s.scalars(
            select(CIRun.id)
            .where(
                or_(
                    and_(
                        CIRun.status == RunStatus.QUEUED.value,
                        CIRun.next_attempt_at <= now,
                        or_(CIRun.dispatched_at.is_(None), CIRun.dispatched_at < now - stale_after),
                    ),
                    and_(CIRun.status == RunStatus.RUNNING.value, CIRun.lease_expires_at < now),
                )
            )
            .order_by(CIRun.id)
            .limit(limit)
        ).all()
    return list(rows)


def get_run(db: Database, ci_run_id: int) -> CIRun | None:
    """Load one CI run row (detached)."""
    with db.session() as s:
        row = s.get(CIRun, ci_run_id)
        if row is not None:
            s.expunge(row)
        return row
