"""Rows of scout_runs: start, cursor as the crawl goes, outcome; finding runs to resume."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from argusai.scout.budget import Budget
from argusai.scout.models import ScoutRun
from argusai.store.db import Database

RUNNING, DONE, BUDGET, FAILED = "running", "done", "budget", "failed"
#: the walk ended but some repositories (or a source's list) could not be read
PARTIAL = "partial"


def start_run(db: Database, *, source: str | None, budget: int, parent: int | None) -> ScoutRun:
    """Insert a run row (outcome ``running``), continuing ``parent``'s cursor if given."""
    with db.session() as session:
        cursor = None
        if parent is not None:
            prev = session.get(ScoutRun, parent)
            if prev is None:
                raise LookupError(f"no scout run {parent}")
            cursor, source = prev.cursor, prev.source
        run = ScoutRun(
            source=source, budget=budget, parent_run_id=parent, cursor=cursor, outcome=RUNNING
        )
        session.add(run)
        session.flush()
        session.expunge(run)
        return run


def save_progress(
    session: Session, run_id: int, cursor: dict[str, Any] | None, budget: Budget, queued: int
) -> None:
    """Store the cursor and counts in the caller's transaction (with the data they cover)."""
    run = session.get(ScoutRun, run_id)
    assert run is not None
    run.cursor, run.requests_used = cursor, budget.used
    run.not_modified, run.items_queued = budget.not_modified, queued


def finish_run(
    db: Database,
    run_id: int,
    outcome: str,
    budget: Budget,
    queued: int,
    *,
    error: str | None = None,
    log_path: str | None = None,
    skipped: list[dict[str, Any]] | None = None,
) -> None:
    """Record the outcome, the final counts and what was skipped so far in the chain."""
    with db.session() as session:
        run = session.get(ScoutRun, run_id)
        assert run is not None
        run.outcome, run.error = outcome, error
        run.requests_used, run.not_modified, run.items_queued = (
            budget.used,
            budget.not_modified,
            queued,
        )
        if skipped:
            run.skipped = list(skipped)
        if outcome in (DONE, PARTIAL):
            run.cursor = None
        if log_path:
            run.log_path = log_path
        run.finished_at = datetime.now(UTC)


def set_log_path(db: Database, run_id: int, path: str) -> None:
    """Remember where the run's JSONL log is."""
    with db.session() as session:
        run = session.get(ScoutRun, run_id)
        assert run is not None
        run.log_path = path


def chain_started(db: Database, run_id: int) -> datetime:
    """When the first run of ``run_id``'s continuation chain started (priorities use it)."""
    with db.session() as session:
        run = session.get(ScoutRun, run_id)
        while run is not None and run.parent_run_id is not None:
            parent = session.get(ScoutRun, run.parent_run_id)
            if parent is None:
                break
            run = parent
        assert run is not None
        started = run.started_at
    return started.astimezone(UTC).replace(tzinfo=None) if started.tzinfo else started


def interrupted_run(db: Database, *, stale_after: float = 6 * 3600) -> int | None:
    """The latest run left with a cursor (failed, or died while running) and not continued."""
    with db.session() as session:
        latest = session.scalar(select(ScoutRun).order_by(ScoutRun.id.desc()).limit(1))
        if latest is None or latest.cursor is None:
            return None
        if latest.outcome == FAILED:
            return latest.id
        if latest.outcome == RUNNING:
            started = latest.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if (datetime.now(UTC) - started).total_seconds() > stale_after:
                return latest.id
        return None
