"""Review work items in the database: recorded once per delivery, superseded by newer pushes.

Their state machine (claim, lease, retry, dead letter) is the one of every kind of work:
:mod:`argusai.workq`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from argusai.store.db import Database
from argusai.store.models import (
    ACTIVE_STATUSES,
    Review,
    ReviewStatus,
    utcnow,
)
from argusai.workq import items
from argusai.workq.table import WorkTable

#: reviews on the one work queue
REVIEWS = WorkTable(Review)
#: the trigger of a review asked for by ``@argus full review``: the whole PR, no cache
FULL_REVIEW_TRIGGER = "comment.full-review"
#: a review the server handed to the repository's GitHub Actions workflow (``handoff``):
#: finished for the server, never run by it again
HANDED_OFF = "handed_off"


def is_full_review(row: Review) -> bool:
    """True for a review that must cover the whole PR and not reuse a cached answer."""
    return row.trigger == FULL_REVIEW_TRIGGER


def still_current(db: Database, review_id: int, owner: str | None) -> bool:
    """False once a newer push superseded this review or another worker took its lease."""
    return owner is not None and items.holds(db, REVIEWS, review_id, owner)


@dataclass(frozen=True)
class ReviewRequest:
    """What a webhook asks for: review this PR at this head."""

    installation_id: int
    repo_name: str
    pr_number: int
    sha: str
    trigger: str


def create_review(
    s: Session,
    req: ReviewRequest,
    delivery_id: str | None,
    *,
    dispatched: bool = False,
    delay: float = 0.0,
    again: bool = False,
) -> int | None:
    """Queue a review of ``req``; supersede older active ones of the same PR.

    ``again``: a reviewed head is reviewed once more (its check run was re-requested)."""
    same_pr = and_(Review.repo_name == req.repo_name, Review.pr_number == req.pr_number)
    blocking = [*ACTIVE_STATUSES]
    if not again:
        blocking += [ReviewStatus.DONE.value, HANDED_OFF]
    existing = s.scalar(
        select(Review.id).where(same_pr, Review.sha == req.sha, Review.status.in_(blocking))
    )
    if existing is not None:
        return None  # this head is already queued, running or reviewed
    s.execute(
        update(Review)
        .where(same_pr, Review.status.in_(ACTIVE_STATUSES), Review.sha != req.sha)
        .values(
            status=ReviewStatus.SUPERSEDED.value,
            completed_at=utcnow(),
            error_message="superseded by a newer push",
        )
    )
    now = utcnow()
    review_id = s.scalar(
        insert(Review)
        .values(
            # from a webhook: optimistic, the handler enqueues next (and un-marks on failure)
            dispatched_at=now if dispatched else None,
            delivery_id=delivery_id,
            installation_id=req.installation_id,
            repo_name=req.repo_name,
            pr_number=req.pr_number,
            sha=req.sha,
            trigger=req.trigger,
            status=ReviewStatus.QUEUED.value,
            next_attempt_at=now + timedelta(seconds=delay) if delay > 0 else now,
        )
        .returning(Review.id)
    )
    return int(review_id) if review_id is not None else None


def mark_handed_off(db: Database, review_id: int, owner: str | None, reason: str) -> bool:
    """Close a running review as handed to GitHub Actions (False: no longer ours)."""
    if owner is None:
        return False
    return items.finish(
        db, REVIEWS, review_id, owner, HANDED_OFF, error=f"handed to GitHub Actions: {reason}"
    )


def enqueue_review(db: Database, req: ReviewRequest) -> int | None:
    """Queue a review outside a webhook (CLI, tests); None when already queued/done."""
    with db.session() as s:
        return create_review(s, req, None)


def store_outcome(db: Database, review_id: int, cache_key: str, result: dict[str, Any]) -> None:
    """Keep the LLM's answer at once, so a retry after a posting failure does not pay again."""
    with db.session() as s:
        s.execute(
            update(Review).where(Review.id == review_id).values(cache_key=cache_key, result=result)
        )


def get_review(db: Database, review_id: int) -> Review | None:
    """Load one review row."""
    with db.session() as s:
        return s.get(Review, review_id)


def last_reviewed_sha(db: Database, repo_name: str, pr_number: int, exclude_id: int) -> str | None:
    """Head SHA of the newest finished review of this PR (for incremental review)."""
    with db.session() as s:
        return s.scalar(
            select(Review.sha)
            .where(
                Review.repo_name == repo_name,
                Review.pr_number == pr_number,
                Review.status == ReviewStatus.DONE.value,
                Review.id != exclude_id,
            )
            .order_by(Review.completed_at.desc(), Review.id.desc())
            .limit(1)
        )


def cached_result(db: Database, cache_key: str) -> dict[str, Any] | None:
    """What the LLM said for the same cache key (stored as soon as it answered), if any."""
    with db.session() as s:
        return s.scalar(
            select(Review.result)
            .where(Review.cache_key == cache_key, Review.result.is_not(None))
            .order_by(Review.id.desc())
            .limit(1)
        )
