"""The processing state of scout rows: pending → processing → completed | failed.

A claim is one atomic UPDATE, so an item queued twice is processed once. The JSON the
LLM's answer is stored in (``summary`` / ``analysis``) carries the ``metadata_hash`` it
was made for: an item whose current hash was already processed is never processed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from argusai.scout.models import ProcessingStatus, ScoutIssue, ScoutRepository
from argusai.store.db import Database
from argusai.store.models import DeadLetter, utcnow

REPOSITORY = "repository"
ISSUE = "issue"
MODELS: dict[str, type[ScoutRepository] | type[ScoutIssue]] = {
    REPOSITORY: ScoutRepository,
    ISSUE: ScoutIssue,
}
DEAD_LETTER_KINDS = {REPOSITORY: "scout_repository", ISSUE: "scout_issue"}
_PENDING = ProcessingStatus.PENDING.value
_PROCESSING = ProcessingStatus.PROCESSING.value
_COMPLETED = ProcessingStatus.COMPLETED.value
_FAILED = ProcessingStatus.FAILED.value


@dataclass(frozen=True)
class Claimed:
    """An item this worker now processes: the hash it processes and its attempt number."""

    kind: str
    item_id: int
    metadata_hash: str | None
    attempts: int
    priority: int


def model_for(kind: str) -> type[ScoutRepository] | type[ScoutIssue]:
    """The table of ``kind`` (``repository`` | ``issue``); ValueError otherwise."""
    try:
        return MODELS[kind]
    except KeyError:
        raise ValueError(f"unknown scout item kind {kind!r}") from None


def _get(s: Session, kind: str, item_id: int) -> ScoutRepository | ScoutIssue | None:
    if model_for(kind) is ScoutRepository:
        return s.get(ScoutRepository, item_id)
    return s.get(ScoutIssue, item_id)


def result_of(row: ScoutRepository | ScoutIssue) -> dict[str, Any] | None:
    """The stored LLM answer of a row (summary of a repository, analysis of an issue)."""
    return row.summary if isinstance(row, ScoutRepository) else row.analysis


def done_for_current_hash(row: ScoutRepository | ScoutIssue) -> bool:
    """True when the stored answer was made for the row's current metadata hash."""
    result = result_of(row)
    return bool(result) and result is not None and result.get("metadata_hash") == row.metadata_hash


def settle_if_done(db: Database, kind: str, item_id: int) -> bool:
    """Mark an already-processed row completed again; True when nothing is left to do."""
    with db.session() as s:
        row = _get(s, kind, item_id)
        if row is None:
            return True
        if not done_for_current_hash(row):
            return False
        if row.processing_status != _COMPLETED:
            row.processing_status = _COMPLETED
            row.processing_error = None
        return True


def claim(db: Database, kind: str, item_id: int, lease_seconds: int) -> Claimed | None:
    """Take a pending (or abandoned) item; None when there is nothing for this worker."""
    model = model_for(kind)
    if settle_if_done(db, kind, item_id):
        return None
    now = utcnow()
    with db.session() as s:
        result = s.execute(
            update(model)
            .where(
                model.id == item_id,
                or_(
                    model.processing_status == _PENDING,
                    and_(
                        model.processing_status == _PROCESSING,
                        model.updated_at < now - timedelta(seconds=lease_seconds),
                    ),
                ),
            )
            .values(
                processing_status=_PROCESSING,
                processing_attempts=model.processing_attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = _get(s, kind, item_id)
        assert row is not None
        s.refresh(row)
        return Claimed(kind, item_id, row.metadata_hash, row.processing_attempts, row.priority)


def complete(db: Database, claimed: Claimed, **values: Any) -> bool:
    """Store the result and mark the row completed, unless its metadata changed meanwhile."""
    with db.session() as s:
        row = _get(s, claimed.kind, claimed.item_id)
        if row is None or row.metadata_hash != claimed.metadata_hash:
            return False  # changed while we worked: the crawl queued it again
        for key, value in values.items():
            setattr(row, key, value)
        row.processing_status = _COMPLETED
        row.processing_error = None
        row.processing_attempts = 0
        row.processed_at = utcnow()
        return True


def update_fields(db: Database, claimed: Claimed, **values: Any) -> None:
    """Store what was fetched so far (languages, body) on the row."""
    with db.session() as s:
        row = _get(s, claimed.kind, claimed.item_id)
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)


def fail(db: Database, claimed: Claimed, error: str, *, dead_letter: bool = False) -> None:
    """Mark the row failed with ``error`` (and park it as a dead letter when asked)."""
    with db.session() as s:
        row = _get(s, claimed.kind, claimed.item_id)
        if row is None:
            return
        attempts = row.processing_attempts
        row.processing_status = _FAILED
        row.processing_error = error
        row.processing_attempts = 0  # a later change starts with a fresh budget
        row.processed_at = utcnow()
        if dead_letter:
            s.add(
                DeadLetter(
                    kind=DEAD_LETTER_KINDS[claimed.kind],
                    item_id=claimed.item_id,
                    reason=error,
                    attempts=attempts,
                )
            )


def retry_later(db: Database, claimed: Claimed, error: str, max_retries: int) -> bool:
    """Put a transient failure back to pending; past the budget: failed + dead letter."""
    if claimed.attempts > max_retries:
        fail(db, claimed, f"gave up after {claimed.attempts} attempts: {error}", dead_letter=True)
        return False
    with db.session() as s:
        row = _get(s, claimed.kind, claimed.item_id)
        if row is None:
            return False
        row.processing_status = _PENDING
        row.processing_error = error
        return True


def stale_items(
    db: Database, *, pending_after: timedelta, lease: timedelta, limit: int = 200
) -> list[tuple[str, int, int]]:
    """(kind, id, priority) of items whose message may be lost, oldest first."""
    now = utcnow()
    found: list[tuple[str, int, int]] = []
    for kind, model in MODELS.items():
        with db.session() as s:
            rows = s.execute(
                select(model.id, model.priority)
                .where(
                    or_(
                        and_(
                            model.processing_status == _PENDING,
                            model.updated_at < now - pending_after,
                        ),
                        and_(
                            model.processing_status == _PROCESSING,
                            model.updated_at < now - lease,
                        ),
                    )
                )
                .order_by(model.updated_at)
                .limit(limit)
            ).all()
        found.extend((kind, int(i), int(p or 0)) for i, p in rows)
    return found


def retry_dead(db: Database, kind: str, item_id: int) -> bool:
    """Re-queue a failed item (fresh budget), closing its dead letters; False if not failed."""
    with db.session() as s:
        row = _get(s, kind, item_id)
        if row is None or row.processing_status != _FAILED:
            return False
        row.processing_status = _PENDING
        row.processing_attempts = 0
        for letter in s.scalars(
            select(DeadLetter).where(
                DeadLetter.kind == DEAD_LETTER_KINDS[kind],
                DeadLetter.item_id == item_id,
                DeadLetter.retried_at.is_(None),
            )
        ):
            letter.retried_at = utcnow()
        return True
