"""The review work item's state machine in the database.

queued → running → done | failed | superseded. A claim is one atomic UPDATE, so a
message delivered twice (sweeper re-dispatch, redelivery) runs the review once.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from argusai.store.db import Database
from argusai.store.models import (
    ACTIVE_STATUSES,
    DeadLetter,
    DeliveryStatus,
    Installation,
    Repository,
    Review,
    ReviewStatus,
    WebhookDelivery,
    utcnow,
)

REVIEW_KIND = "review"


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


def mark_dispatched(db: Database, review_id: int, dispatched: bool = True) -> None:
    """Note that a queue message was sent for this item (or, failing that, was not)."""
    with db.session() as s:
        s.execute(
            update(Review)
            .where(Review.id == review_id)
            .values(dispatched_at=utcnow() if dispatched else None)
        )


def claim(
    db: Database, review_id: int, lease_seconds: int, owner: str | None = None
) -> Review | None:
    """Atomically take a queued (or lease-expired running) item; None if not ours to run.

    ``owner`` marks the lease: a worker whose lease was taken over can no longer post.
    """
    owner = owner or uuid.uuid4().hex
    now = utcnow()
    early = now + timedelta(seconds=2)  # queue clocks may fire a scheduled retry a bit early
    with db.session() as s:
        result = s.execute(
            update(Review)
            .where(
                Review.id == review_id,
                or_(
                    and_(
                        Review.status == ReviewStatus.QUEUED.value, Review.next_attempt_at <= early
                    ),
                    and_(
                        Review.status == ReviewStatus.RUNNING.value, Review.lease_expires_at < now
                    ),
                ),
            )
            .values(
                status=ReviewStatus.RUNNING.value,
                started_at=now,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                lease_owner=owner,
                attempts=Review.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return s.get(Review, review_id)


def still_current(db: Database, review_id: int, owner: str | None = None) -> bool:
    """False once a newer push superseded this item or another worker took its lease."""
    with db.session() as s:
        row = s.execute(
            select(Review.status, Review.lease_owner).where(Review.id == review_id)
        ).first()
    if row is None or row[0] != ReviewStatus.RUNNING.value:
        return False
    return owner is None or row[1] == owner


def extend_lease(db: Database, review_id: int, lease_seconds: int, owner: str) -> bool:
    """Heartbeat: keep a long review from being taken as abandoned; False if no longer ours."""
    with db.session() as s:
        result = s.execute(
            update(Review)
            .where(
                Review.id == review_id,
                Review.status == ReviewStatus.RUNNING.value,
                Review.lease_owner == owner,
            )
            .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def finish(
    db: Database,
    review_id: int,
    status: ReviewStatus,
    error: str | None = None,
    owner: str | None = None,
) -> None:
    """Close a running item as done, failed or superseded (only while ``owner`` holds it)."""
    with db.session() as s:
        stmt = update(Review).where(Review.id == review_id)
        if owner is not None:
            stmt = stmt.where(Review.lease_owner == owner)
        s.execute(
            stmt.values(
                status=status.value,
                completed_at=utcnow(),
                error_message=error,
                lease_expires_at=None,
            ).execution_options(synchronize_session=False)
        )


def backoff_seconds(attempt: int, base: float, cap: float = 900.0) -> float:
    """Exponential backoff with jitter for the ``attempt``-th retry."""
    delay: float = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto


def retry_later(
    db: Database,
    review_id: int,
    *,
    error: str,
    max_retries: int,
    delay: float,
    owner: str | None = None,
) -> bool:
    """Put a failed attempt back in the queue; past the budget it becomes a dead letter.

    Returns True when it will be retried.
    """
    with db.session() as s:
        review = s.get(Review, review_id)
        if review is None or (owner is not None and review.lease_owner != owner):
            return False  # another worker holds it now
        if review.attempts > max_retries:
            review.status = ReviewStatus.FAILED.value
            review.completed_at = utcnow()
            review.error_message = f"gave up after {review.attempts} attempts: {error}"
            review.lease_expires_at = None
            s.add(
                DeadLetter(
                    kind=REVIEW_KIND, item_id=review_id, reason=error, attempts=review.attempts
                )
            )
            return False
        review.status = ReviewStatus.QUEUED.value
        review.error_message = error
        review.lease_expires_at = None
        review.next_attempt_at = utcnow() + timedelta(seconds=delay)
        return True


def defer(
    db: Database,
    review_id: int,
    *,
    reason: str,
    delay: float,
    owner: str | None = None,
) -> bool:
    """Put a claimed item back in the queue for ``delay`` s WITHOUT spending its retry budget.

    For waits that are not failures: GitHub rate limits and write pacing, an open LLM
    circuit breaker, admission limits. The attempt counted by :func:`claim` is given
    back. Returns False when ``owner`` no longer holds the item (nothing changed).
    """
    with db.session() as s:
        stmt = update(Review).where(
            Review.id == review_id, Review.status == ReviewStatus.RUNNING.value
        )
        if owner is not None:
            stmt = stmt.where(Review.lease_owner == owner)
        result = s.execute(
            stmt.values(
                status=ReviewStatus.QUEUED.value,
                attempts=case((Review.attempts > 0, Review.attempts - 1), else_=0),
                error_message=f"deferred: {reason}"[:500],
                lease_expires_at=None,
                next_attempt_at=utcnow() + timedelta(seconds=max(0.0, delay)),
                dispatched_at=utcnow(),
            ).execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def due_for_dispatch(db: Database, *, stale_after: timedelta, limit: int = 100) -> list[int]:
    """Items the sweeper must (re-)dispatch: lost messages and abandoned leases."""
    now = utcnow()
    with db.session() as s:
        rows = s.scalars(
            select(Review.id)
            .where(
                or_(
                    and_(
                        Review.status == ReviewStatus.QUEUED.value,
                        Review.next_attempt_at <= now,
                        or_(
                            Review.dispatched_at.is_(None), Review.dispatched_at < now - stale_after
                        ),
                    ),
                    and_(
                        Review.status == ReviewStatus.RUNNING.value, Review.lease_expires_at < now
                    ),
                )
            )
            .order_by(Review.id)
            .limit(limit)
        ).all()
    return list(rows)


def list_dead(db: Database) -> list[tuple[DeadLetter, Review | None]]:
    """Dead letters of reviews not yet retried, with their items."""
    with db.session() as s:
        letters = s.scalars(
            select(DeadLetter)
            .where(DeadLetter.retried_at.is_(None), DeadLetter.kind == REVIEW_KIND)
            .order_by(DeadLetter.id)
        ).all()
        return [(d, s.get(Review, d.item_id)) for d in letters]


def retry_dead(db: Database, review_id: int) -> bool:
    """Re-queue a failed item with a fresh retry budget; False when there is nothing to retry."""
    with db.session() as s:
        review = s.get(Review, review_id)
        if review is None or review.status != ReviewStatus.FAILED.value:
            return False
        review.status = ReviewStatus.QUEUED.value
        review.attempts = 0
        review.next_attempt_at = utcnow()
        review.dispatched_at = None
        review.completed_at = None
        for letter in s.scalars(
            select(DeadLetter).where(
                DeadLetter.item_id == review_id,
                DeadLetter.kind == REVIEW_KIND,
                DeadLetter.retried_at.is_(None),
            )
        ):
            letter.retried_at = utcnow()
        return True


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
