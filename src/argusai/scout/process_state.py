"""What processing stores on scout rows, and when an item has nothing left to do.

The rows' state machine (pending → processing → completed | failed, leases, retries,
dead letters) is the one work queue's (:mod:`argusai.workq`). The JSON the LLM's answer is
stored in (``summary`` / ``analysis``) carries the ``metadata_hash`` it was made for: an
item whose current hash was already processed is never processed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from argusai.scout.models import ProcessingStatus, ScoutIssue, ScoutRepository
from argusai.store.db import Database
from argusai.store.models import utcnow

REPOSITORY = "repository"
ISSUE = "issue"
MODELS: dict[str, type[ScoutRepository] | type[ScoutIssue]] = {
    REPOSITORY: ScoutRepository,
    ISSUE: ScoutIssue,
}
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
        row.lease_expires_at = None
        return True


def mark_pending(row: ScoutRepository | ScoutIssue) -> None:
    """The crawl found the row new or changed: due now, with a fresh retry budget."""
    row.processing_status = _PENDING
    row.processing_attempts = 0
    row.next_attempt_at = utcnow()
    row.lease_expires_at = None


def update_fields(db: Database, claimed: Claimed, **values: Any) -> None:
    """Store what was fetched so far (languages, body) on the row."""
    with db.session() as s:
        row = _get(s, claimed.kind, claimed.item_id)
        if row is not None:
            for key, value in values.items():
                setattr(row, key, value)
