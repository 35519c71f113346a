"""Review work items in the database: recorded once per delivery, superseded by newer pushes.

Their state machine (claim, lease, retry, dead letter) is the one of every kind of work:
:mod:`argusai.workq`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from argusai.store.db import Database
from argusai.store.models import (
    ACTIVE_STATUSES,
    DeliveryStatus,
    Installation,
    Repository,
    Review,
    ReviewStatus,
    WebhookDelivery,
    utcnow,
)
from argusai.workq import items
from argusai.workq.table import WorkTable

#: reviews on the one work queue
REVIEWS = WorkTable(Review)


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


@dataclass(frozen=True)
class InstallationChange:
    """An installation event: the App was installed, removed, suspended, or repos changed."""

    installation_id: int
    account_login: str | None
    action: str
    repos_added: tuple[str, ...] = ()
    repos_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Accepted:
    """Outcome of recording a delivery."""

    duplicate: bool
    review_id: int | None


def record_delivery(
    db: Database,
    *,
    delivery_id: str,
    event: str,
    action: str | None,
    installation_id: int | None,
    repo_name: str | None,
    request: ReviewRequest | None,
    installation: InstallationChange | None = None,
    delay: float = 0.0,
) -> Accepted:
    """Record a delivery once and create its work item; a redelivery creates nothing.

    ``delay``: the work item may not start before this many seconds (rate limits).
    """
    try:
        with db.session() as s:
            # Core statements, not ORM objects: this is the webhook's hot path
            s.execute(
                insert(WebhookDelivery).values(
                    delivery_id=delivery_id,
                    event=event,
                    action=action,
                    installation_id=installation_id,
                    repo_name=repo_name,
                    status=(DeliveryStatus.ACCEPTED if request else DeliveryStatus.IGNORED).value,
                )
            )
            review_id = (
                _create_review(s, request, delivery_id, dispatched=True, delay=delay)
                if request
                else None
            )
            if installation is not None:
                _apply_installation(s, installation)
    except IntegrityError:
        return Accepted(duplicate=True, review_id=None)
    return Accepted(duplicate=False, review_id=review_id)


def _apply_installation(s: Session, change: InstallationChange) -> None:
    row = s.get(Installation, change.installation_id)
    if change.action == "deleted":
        if row is not None:
            s.delete(row)
        s.execute(delete(Repository).where(Repository.installation_id == change.installation_id))
        return
    if row is None:
        row = Installation(id=change.installation_id)
        s.add(row)
    row.account_login = change.account_login or row.account_login
    if change.action in {"suspend", "unsuspend"}:
        row.suspended = change.action == "suspend"
    for name in change.repos_added:
        repo = s.scalar(select(Repository).where(Repository.full_name == name))
        if repo is None:
            s.add(Repository(full_name=name, installation_id=change.installation_id))
        else:
            repo.installation_id = change.installation_id
    if change.repos_removed:
        s.execute(delete(Repository).where(Repository.full_name.in_(change.repos_removed)))


def _create_review(
    s: Session,
    req: ReviewRequest,
    delivery_id: str | None,
    *,
    dispatched: bool = False,
    delay: float = 0.0,
) -> int | None:
    """Queue a review of ``req``; supersede older active ones of the same PR."""
    same_pr = and_(Review.repo_name == req.repo_name, Review.pr_number == req.pr_number)
    existing = s.scalar(
        select(Review.id).where(
            same_pr,
            Review.sha == req.sha,
            Review.status.in_([*ACTIVE_STATUSES, ReviewStatus.DONE.value]),
        )
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


def enqueue_review(db: Database, req: ReviewRequest) -> int | None:
    """Queue a review outside a webhook (CLI, tests); None when already queued/done."""
    with db.session() as s:
        return _create_review(s, req, None)


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
