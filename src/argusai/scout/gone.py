"""Listed repositories GitHub says are gone (404/410/451) or moved (301), remembered.

Without this, each costs a request on every crawl. A gone repository is not asked for
again until ``RECHECK_AFTER`` has passed; then once more: still gone, another week; back,
forgotten here. A moved one is followed to its new name once; from then on the crawl asks
for the new name directly (the catalogue row is renamed, see ``apply``). Keyed by the
name the source lists, in lower case; a row of ``scout_gone`` each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from argusai.scout.models import ScoutGone
from argusai.scout.repo_fetch import RepoFetch
from argusai.scout.sources.base import RepoRef
from argusai.store.db import Database

RECHECK_AFTER = timedelta(days=7)
MOVED = 301


@dataclass(frozen=True)
class Mark:
    """What GitHub last said about a listed name."""

    status: int
    moved_to: str | None
    seen_at: datetime


def load_marks(db: Database) -> dict[str, Mark]:
    """Every mark, by listed name in lower case."""
    with db.session() as session:
        return {
            row.full_name: Mark(row.status, row.moved_to, _aware(row.seen_at))
            for row in session.scalars(select(ScoutGone))
        }


def current(ref: RepoRef, marks: dict[str, Mark]) -> RepoRef:
    """``ref`` under the name it has now (its new one when it moved)."""
    mark = marks.get(ref.full_name.lower())
    if mark is None or not mark.moved_to:
        return ref
    owner, name = mark.moved_to.split("/", 1)
    return replace(ref, owner=owner, name=name)


def gone_until(ref: RepoRef, marks: dict[str, Mark], now: datetime) -> datetime | None:
    """When ``ref``, seen gone, is asked for again; None when it may be asked now."""
    mark = marks.get(ref.full_name.lower())
    if mark is None or mark.moved_to:
        return None
    due = mark.seen_at + RECHECK_AFTER
    return due if _aware(now) < due else None


def remember(session: Session, listed: str, fetched: RepoFetch, now: datetime) -> None:
    """Record what ``fetched`` learnt about the listed name (in the caller's transaction)."""
    key = listed.lower()
    row = session.scalar(select(ScoutGone).where(ScoutGone.full_name == key))
    if fetched.moved_to is not None:
        status, moved_to = MOVED, fetched.moved_to
    elif fetched.missing:
        status, moved_to = fetched.meta_status, None
    else:
        if row is not None and row.moved_to is None and fetched.meta_status in (200, 304):
            session.delete(row)  # back again
        return
    if row is None:
        row = ScoutGone(full_name=key)
        session.add(row)
    row.status, row.moved_to, row.seen_at = status, moved_to, _aware(now)


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
