"""The daily rollup: ``review_metrics`` rows computed again from the reviews of each day.

A review counts on the UTC day it finished (``completed_at``): done reviews as reviews,
failed ones (retries exhausted) as failures, handed-off ones (made by the repository's
GitHub Actions workflow while the server could not keep up) as such; skipped ones
(disabled, drafts) and superseded ones not at all. Accepted and dismissed are the outcomes
known *now* of the findings those reviews posted, so a day is worth rolling up again while
its PRs are open.

Rolling a day up is idempotent (one upsert per repository and day, the same result
however often it runs). A repository with no finished review left on a day keeps its
row: the rollup is the history that outlives pruned reviews.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from argusai.review.conversation.models import FindingOutcome
from argusai.review.items import HANDED_OFF
from argusai.stats.models import ReviewMetrics
from argusai.stats.period import day_start
from argusai.stats.sql import count_if, rate, total
from argusai.store.db import Database
from argusai.store.models import FindingRecord, Review, ReviewStatus, utcnow

#: the hourly job rolls up this many days up to today (outcomes keep arriving for days)
ROLLUP_WINDOW_DAYS = 7
SKIPPED_PREFIX = "skipped:"
_KEY = ("repo_name", "date")
_BATCH = 200  # rows per upsert: far under SQLite's limit on bound parameters


def finished_on(start: Any, end: Any) -> Any:
    """Reviews that finished (done, failed or handed off; not skipped) in ``[start, end)``."""
    return and_(
        Review.completed_at >= start,
        Review.completed_at < end,
        Review.status.in_([ReviewStatus.DONE.value, ReviewStatus.FAILED.value, HANDED_OFF]),
        or_(
            Review.error_message.is_(None),
            not_(Review.error_message.startswith(SKIPPED_PREFIX, autoescape=True)),
        ),
    )


@dataclass
class RollupReport:
    """Days rolled up, rows written, days left alone (older than the raw rows kept)."""

    days: list[date] = field(default_factory=list)
    rows: int = 0
    kept: list[date] = field(default_factory=list)


def _day_values(s: Session, day: date) -> dict[str, dict[str, Any]]:
    start, end = day_start(day), day_start(day + timedelta(days=1))
    done = Review.status == ReviewStatus.DONE.value
    figures = s.execute(
        select(
            Review.repo_name,
            count_if(done).label("total_reviews"),
            count_if(Review.status == ReviewStatus.FAILED.value).label("failed_reviews"),
            count_if(Review.status == HANDED_OFF).label("handed_off_reviews"),
            count_if(and_(done, Review.cache_hit.is_(True))).label("cache_hits"),
            total(Review.comments_count).label("comments_count"),
            total(Review.summarised_count).label("summarised_count"),
            total(Review.severity_critical).label("severity_critical"),
            total(Review.severity_high).label("severity_high"),
            total(Review.severity_medium).label("severity_medium"),
            total(Review.severity_low).label("severity_low"),
            total(Review.findings_llm).label("findings_llm"),
            total(Review.findings_check).label("findings_check"),
            total(Review.rejected_count).label("rejected_count"),
            total(Review.prompt_tokens).label("prompt_tokens"),
            total(Review.completion_tokens).label("completion_tokens"),
            total(Review.cost_usd).label("cost_usd"),
            total(Review.total_ms).label("review_time_ms_total"),
            func.count(Review.total_ms).label("timed_reviews"),
        )
        .where(finished_on(start, end))
        .group_by(Review.repo_name)
    ).all()
    values = {row.repo_name: {**row._asdict(), "accepted": 0, "dismissed": 0} for row in figures}
    outcomes = s.execute(
        select(
            Review.repo_name,
            count_if(FindingOutcome.outcome == "accepted").label("accepted"),
            count_if(FindingOutcome.outcome == "dismissed").label("dismissed"),
        )
        .join(FindingRecord, FindingRecord.review_id == Review.id)
        .join(
            FindingOutcome,
            and_(
                FindingOutcome.repo_name == FindingRecord.repo_name,
                FindingOutcome.pr_number == FindingRecord.pr_number,
                FindingOutcome.fingerprint == FindingRecord.fingerprint,
            ),
        )
        .where(finished_on(start, end), Review.status == ReviewStatus.DONE.value)
        .group_by(Review.repo_name)
    ).all()
    for row in outcomes:
        if row.repo_name in values:
            values[row.repo_name].update(accepted=row.accepted, dismissed=row.dismissed)
    return values


def _with_seed_figures(v: dict[str, Any]) -> dict[str, Any]:
    """Add the seed's average and rates to the counts."""
    reviews, failed, timed = v["total_reviews"], v["failed_reviews"], v["timed_reviews"]
    average = rate(v["review_time_ms_total"], timed)
    return {
        **v,
        "cost_usd": float(v["cost_usd"]),
        "avg_review_time_ms": None if average is None else round(average),
        "cache_hit_rate": rate(v["cache_hits"], reviews),
        "error_rate": rate(failed, reviews + failed),
    }


def rollup_day(db: Database, day: date) -> int:
    """Compute ``day``'s rows again and upsert them; how many repositories it had."""
    with db.session() as s:
        values = _day_values(s, day)
        if not values:
            return 0
        now = utcnow()
        rows = [
            {**_with_seed_figures(v), "repo_name": repo, "date": day, "updated_at": now}
            for repo, v in values.items()
        ]
        dialect = s.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for at in range(0, len(rows), _BATCH):
            statement = insert(ReviewMetrics).values(rows[at : at + _BATCH])
            updated = {name: statement.excluded[name] for name in rows[0] if name not in _KEY}
            s.execute(statement.on_conflict_do_update(index_elements=list(_KEY), set_=updated))
        return len(rows)


def rollup(db: Database, first: date, last: date, *, oldest: date | None = None) -> RollupReport:
    """Roll up every day from ``first`` to ``last`` (both included). Days before ``oldest``
    (the first day whose reviews are all still kept) are left as they are: computed again
    from partly pruned reviews, they would lose what the rollup remembers."""
    report = RollupReport()
    day = first
    while day <= last:
        if oldest is not None and day < oldest:
            report.kept.append(day)
        else:
            report.rows += rollup_day(db, day)
            report.days.append(day)
        day += timedelta(days=1)
    return report


def rollup_recent(db: Database, *, today: date | None = None) -> RollupReport:
    """The hourly job: the last :data:`ROLLUP_WINDOW_DAYS` days up to today (UTC)."""
    today = today or utcnow().date()
    return rollup(db, today - timedelta(days=ROLLUP_WINDOW_DAYS - 1), today)
