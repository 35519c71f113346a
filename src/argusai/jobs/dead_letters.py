"""Dead letters of every kind of work item: list them, and retry one with a fresh budget."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from argusai.ci.github_runs import CI_KIND
from argusai.ci.models import CIRun
from argusai.jobs import workitems
from argusai.jobs.runtime import Runtime
from argusai.store.db import Database
from argusai.store.models import DeadLetter, Review, utcnow

SCOUT_KINDS = {"scout_repository": "repository", "scout_issue": "issue"}
KINDS = (workitems.REVIEW_KIND, CI_KIND, *SCOUT_KINDS)


@dataclass(frozen=True)
class DeadItem:
    """One dead letter, with a short description of its item."""

    kind: str
    item_id: int
    what: str
    reason: str
    attempts: int
    created_at: datetime


def list_dead(db: Database) -> list[DeadItem]:
    """Dead letters not yet retried, oldest first."""
    with db.session() as s:
        letters = s.scalars(
            select(DeadLetter).where(DeadLetter.retried_at.is_(None)).order_by(DeadLetter.id)
        ).all()
        items = []
        for d in letters:
            items.append(
                DeadItem(
                    d.kind,
                    d.item_id,
                    _describe(s, d.kind, d.item_id),
                    d.reason,
                    d.attempts,
                    d.created_at,
                )
            )
    return items


def _describe(s: object, kind: str, item_id: int) -> str:
    from sqlalchemy.orm import Session

    assert isinstance(s, Session)
    if kind == workitems.REVIEW_KIND:
        review = s.get(Review, item_id)
        return f"{review.repo_name}#{review.pr_number} @ {review.sha[:10]}" if review else "?"
    if kind == CI_KIND:
        run = s.get(CIRun, item_id)
        return f"{run.repo_name} run {run.run_id}/{run.run_attempt}" if run else "?"
    return f"{SCOUT_KINDS.get(kind, kind)} {item_id}"


def item_status(db: Database, kind: str, item_id: int) -> str | None:
    """The work item's status (``processing_status`` for scout items); None if there is none."""
    with db.session() as s:
        if kind == workitems.REVIEW_KIND:
            review = s.get(Review, item_id)
            return review.status if review else None
        if kind == CI_KIND:
            run = s.get(CIRun, item_id)
            return run.status if run else None
        if kind in SCOUT_KINDS:
            from argusai.scout.models import ScoutIssue, ScoutRepository

            row: ScoutRepository | ScoutIssue | None = (
                s.get(ScoutRepository, item_id)
                if SCOUT_KINDS[kind] == "repository"
                else s.get(ScoutIssue, item_id)
            )
            return row.processing_status if row else None
    raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")


def retry(rt: Runtime, kind: str, item_id: int) -> bool:
    """Queue a dead item again with a fresh retry budget; False if it is not failed."""
    if kind == workitems.REVIEW_KIND:
        from argusai.jobs.tasks import register_tasks

        if not workitems.retry_dead(rt.db, item_id):
            return False
        register_tasks(rt.huey, lambda: rt).dispatch_review(rt.db, item_id)
        return True
    if kind == CI_KIND:
        return _retry_ci_run(rt.db, item_id)  # the CI sweeper dispatches undispatched runs
    if kind in SCOUT_KINDS:
        from argusai.jobs.tasks import register_tasks
        from argusai.scout.process import make_enqueue
        from argusai.scout.process_state import retry_dead

        if not retry_dead(rt.db, SCOUT_KINDS[kind], item_id):
            return False
        register_tasks(rt.huey, lambda: rt)
        make_enqueue(rt.huey)(SCOUT_KINDS[kind], item_id, 0)
        return True
    raise ValueError(f"unknown kind {kind!r}: one of {', '.join(KINDS)}")


def _retry_ci_run(db: Database, run_id: int) -> bool:
    with db.session() as s:
        result = s.execute(
            update(CIRun)
            .where(CIRun.id == run_id, CIRun.status == "failed")
            .values(
                status="queued",
                attempts=0,
                next_attempt_at=utcnow(),
                dispatched_at=None,
                completed_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        s.execute(
            update(DeadLetter)
            .where(
                DeadLetter.kind == CI_KIND,
                DeadLetter.item_id == run_id,
                DeadLetter.retried_at.is_(None),
            )
            .values(retried_at=utcnow())
        )
        return True
