"""Questions about the scout: crawl runs, GitHub requests and the share answered 304 (not
modified: free for the rate limit), items processed and what the LLM cost.

A crawl run belongs to the period in which it started; an item to the period in which it
was last processed. The LLM cost is the one stored with each item's current summary or
analysis: an item summarised twice shows its latest cost once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from argusai.scout.models import ProcessingStatus, ScoutIssue, ScoutRepository, ScoutRun
from argusai.stats.period import Period
from argusai.stats.sql import count_if, rate, total
from argusai.store.db import Database

_COMPLETED = ProcessingStatus.COMPLETED.value


@dataclass(frozen=True)
class ScoutStats:
    """The scout over a period."""

    runs: int
    outcomes: dict[str, int] = field(default_factory=dict)  # done, partial, budget, failed …
    requests: int = 0
    not_modified: int = 0  # answered 304
    items_queued: int = 0
    repositories_processed: int = 0
    issues_processed: int = 0
    processing_failed: int = 0
    llm_cost_usd: float = 0.0

    @property
    def not_modified_share(self) -> float | None:
        """Share of requests answered 304."""
        return rate(self.not_modified, self.requests)


def _processed(model: Any, column: Any, period: Period) -> Any:
    return select(
        count_if(model.processing_status == _COMPLETED),
        count_if(model.processing_status == ProcessingStatus.FAILED.value),
        total(column["cost_usd"].as_float()),
    ).where(model.processed_at >= period.since, model.processed_at < period.until)


def scout_summary(db: Database, period: Period) -> ScoutStats:
    """Crawl runs started in the period and items processed in it."""
    in_period = (ScoutRun.started_at >= period.since, ScoutRun.started_at < period.until)
    with db.session() as s:
        outcomes = Counter(
            {
                outcome: int(n)
                for outcome, n in s.execute(
                    select(ScoutRun.outcome, func.count())
                    .where(*in_period)
                    .group_by(ScoutRun.outcome)
                )
            }
        )
        requests, not_modified, queued = s.execute(
            select(
                total(ScoutRun.requests_used),
                total(ScoutRun.not_modified),
                total(ScoutRun.items_queued),
            ).where(*in_period)
        ).one()
        repos_done, repos_failed, repos_cost = s.execute(
            _processed(ScoutRepository, ScoutRepository.summary, period)
        ).one()
        issues_done, issues_failed, issues_cost = s.execute(
            _processed(ScoutIssue, ScoutIssue.analysis, period)
        ).one()
    return ScoutStats(
        runs=sum(outcomes.values()),
        outcomes=dict(sorted(outcomes.items())),
        requests=int(requests),
        not_modified=int(not_modified),
        items_queued=int(queued),
        repositories_processed=int(repos_done),
        issues_processed=int(issues_done),
        processing_failed=int(repos_failed) + int(issues_failed),
        llm_cost_usd=float(repos_cost or 0) + float(issues_cost or 0),
    )


@dataclass(frozen=True)
class CrawlRun:
    """One crawl run, as the dashboard lists them."""

    id: int
    source: str | None
    outcome: str
    started_at: datetime
    finished_at: datetime | None
    requests: int
    not_modified: int
    items_queued: int


def scout_runs(db: Database, period: Period, *, limit: int = 20) -> list[CrawlRun]:
    """The newest crawl runs started in the period."""
    with db.session() as s:
        rows = s.scalars(
            select(ScoutRun)
            .where(ScoutRun.started_at >= period.since, ScoutRun.started_at < period.until)
            .order_by(ScoutRun.started_at.desc(), ScoutRun.id.desc())
            .limit(limit)
        ).all()
    return [
        CrawlRun(
            r.id,
            r.source,
            r.outcome,
            r.started_at,
            r.finished_at,
            r.requests_used,
            r.not_modified,
            r.items_queued,
        )
        for r in rows
    ]
