"""Rows for the analytics tests, written as a worker would leave them (fixed times)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from argusai.review.conversation.models import FindingOutcome
from argusai.store.db import Database
from argusai.store.migrate import upgrade
from argusai.store.models import FindingRecord, Review

_pr_numbers = itertools.count(1)


def at(day: int, hour: int = 12, minute: int = 0, second: float = 0) -> datetime:
    """A time in March 2026 (UTC)."""
    whole = int(second)
    micro = round((second - whole) * 1_000_000)
    return datetime(2026, 3, day, hour, minute, whole, micro, tzinfo=UTC)


def open_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database: SQLite, or a fresh PostgreSQL one (``request.param``)."""
    url = (
        f"sqlite:///{tmp_path / 'stats.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    database = Database(url)
    upgrade(database.engine)
    yield database
    database.dispose()


def add_review(
    db: Database,
    repo: str,
    completed: datetime | None,
    *,
    status: str = "done",
    total_ms: int | None = None,
    **values: Any,
) -> int:
    """A finished review of ``repo``: created ``total_ms`` before ``completed``."""
    created = values.pop("created_at", None)
    if created is None:
        created = (completed or at(1)) - timedelta(milliseconds=total_ms or 1000)
    row = Review(
        installation_id=1,
        repo_name=repo,
        pr_number=values.pop("pr_number", next(_pr_numbers)),
        sha=values.pop("sha", "a" * 40),
        trigger=values.pop("trigger", "pull_request.opened"),
        status=status,
        created_at=created,
        completed_at=completed,
        total_ms=total_ms,
        **values,
    )
    with db.session() as s:
        s.add(row)
        s.flush()
        return row.id


def add_finding(
    db: Database,
    review_id: int,
    fingerprint: str,
    *,
    outcome: str | None = None,
    inline: bool = True,
    category: str = "security",
    source: str = "llm",
    severity: str = "high",
) -> None:
    """A finding of the review (stored when it finished), and its outcome if given."""
    with db.session() as s:
        review = s.get(Review, review_id)
        assert review is not None
        s.add(
            FindingRecord(
                review_id=review_id,
                repo_name=review.repo_name,
                pr_number=review.pr_number,
                fingerprint=fingerprint,
                path="app.py",
                line=3,
                severity=severity,
                category=category,
                title=f"finding {fingerprint}",
                inline=inline,
                source=source,
                created_at=review.completed_at,
            )
        )
        if outcome is not None:
            s.add(
                FindingOutcome(
                    repo_name=review.repo_name,
                    pr_number=review.pr_number,
                    fingerprint=fingerprint,
                    outcome=outcome,
                )
            )
