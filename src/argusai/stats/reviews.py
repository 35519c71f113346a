"""Questions about reviews: seed 002's two queries (daily review metrics, most active
repositories) and what an operator asks next (what it costs, how fast, why it ran, what
it finds).

Each function takes a :class:`~argusai.store.db.Database` and a
:class:`~argusai.stats.period.Period` and returns plain frozen dataclasses. A review
belongs to the period in which it finished (as in the rollup); times are milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from argusai.review.items import HANDED_OFF
from argusai.stats.models import ReviewMetrics
from argusai.stats.period import Period
from argusai.stats.rollup import finished_on
from argusai.stats.sql import (
    as_int,
    count_if,
    percentiles_by_key,
    percentiles_overall,
    ranked,
    rate,
    total,
)
from argusai.stats.triggers import trigger_kind_sql
from argusai.store.db import Database
from argusai.store.models import FindingRecord, Review, ReviewStatus

_DONE = Review.status == ReviewStatus.DONE.value


@dataclass(frozen=True)
class DailyMetrics:
    """One day of the rollup, over every repository (or the one asked for)."""

    date: date
    reviews: int
    failed: int
    handed_off: int
    comments: int
    critical: int
    high: int
    medium: int
    low: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    avg_review_time_ms: int | None
    cache_hit_rate: float | None
    accepted: int
    dismissed: int


def daily_review_metrics(
    db: Database, period: Period, *, repo: str | None = None
) -> list[DailyMetrics]:
    """Seed 002's "daily review metrics", from the ``review_metrics`` rollup, oldest day first.

    Averages and rates are weighted by reviews (sums over the repositories, then divided),
    not averages of each repository's average."""
    m = ReviewMetrics
    query = (
        select(
            m.date,
            total(m.total_reviews),
            total(m.failed_reviews),
            total(m.handed_off_reviews),
            total(m.comments_count),
            total(m.severity_critical),
            total(m.severity_high),
            total(m.severity_medium),
            total(m.severity_low),
            total(m.prompt_tokens),
            total(m.completion_tokens),
            total(m.cost_usd),
            total(m.review_time_ms_total),
            total(m.timed_reviews),
            total(m.cache_hits),
            total(m.accepted),
            total(m.dismissed),
        )
        .where(m.date >= period.first_day, m.date <= period.last_day)
        .group_by(m.date)
        .order_by(m.date)
    )
    if repo is not None:
        query = query.where(m.repo_name == repo)
    with db.session() as s:
        rows = s.execute(query).all()
    return [
        DailyMetrics(
            date=day,
            reviews=int(reviews),
            failed=int(failed),
            handed_off=int(handed_off),
            comments=int(comments),
            critical=int(critical),
            high=int(high),
            medium=int(medium),
            low=int(low),
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            cost_usd=float(cost),
            avg_review_time_ms=as_int(rate(time_total, timed)),
            cache_hit_rate=rate(hits, reviews),
            accepted=int(accepted),
            dismissed=int(dismissed),
        )
        for (
            day,
            reviews,
            failed,
            handed_off,
            comments,
            critical,
            high,
            medium,
            low,
            prompt,
            completion,
            cost,
            time_total,
            timed,
            hits,
            accepted,
            dismissed,
        ) in rows
    ]


@dataclass(frozen=True)
class RepoActivity:
    """Seed 002's "most active repositories" row."""

    repo_name: str
    review_count: int
    avg_comments: float


def most_active_repositories(
    db: Database, period: Period, *, limit: int = 10
) -> list[RepoActivity]:
    """Repositories by reviews done in the period, most first (ties by name), with the
    average number of inline comments per review."""
    count = func.count().label("review_count")
    query = (
        select(Review.repo_name, count, func.avg(Review.comments_count))
        .where(finished_on(period.since, period.until), _DONE)
        .group_by(Review.repo_name)
        .order_by(count.desc(), Review.repo_name)
        .limit(limit)
    )
    with db.session() as s:
        rows = s.execute(query).all()
    return [RepoActivity(name, int(n), float(avg or 0.0)) for name, n, avg in rows]


@dataclass(frozen=True)
class ReviewSummary:
    """Reviews of one repository (``repo_name``) or of all (None) over a period."""

    repo_name: str | None
    reviews: int  # done
    failed: int  # retries exhausted
    handed_off: int  # made by the repository's GitHub Actions workflow instead
    cache_hits: int
    comments: int  # findings posted inline
    summarised: int  # findings in the summary only (no anchor, over the inline limit)
    rejected: int  # not confirmed by the verification pass: not posted
    findings_llm: int
    findings_check: int
    files_reviewed: int
    files_skipped: int
    lines_reviewed: int
    lines_skipped: int
    prompt_tokens: int
    completion_tokens: int
    context_tokens: int
    cost_usd: float
    avg_llm_ms: int | None
    p50_ms: int | None  # time to review: created (webhook) → posted
    p95_ms: int | None
    queue_wait_p50_ms: int | None
    queue_wait_p95_ms: int | None

    @property
    def cache_hit_rate(self) -> float | None:
        """Share of done reviews answered from the cache."""
        return rate(self.cache_hits, self.reviews)

    @property
    def error_rate(self) -> float | None:
        """Share of finished reviews that failed for good."""
        return rate(self.failed, self.reviews + self.failed)


def _summary_columns() -> dict[str, Any]:
    """The aggregate of each :class:`ReviewSummary` field (times apart), in field order."""
    r = Review
    return {
        "reviews": count_if(_DONE),
        "failed": count_if(r.status == ReviewStatus.FAILED.value),
        "handed_off": count_if(r.status == HANDED_OFF),
        "cache_hits": count_if(and_(_DONE, r.cache_hit.is_(True))),
        "comments": total(r.comments_count),
        "summarised": total(r.summarised_count),
        "rejected": total(r.rejected_count),
        "findings_llm": total(r.findings_llm),
        "findings_check": total(r.findings_check),
        "files_reviewed": total(r.files_reviewed),
        "files_skipped": total(r.files_skipped),
        "lines_reviewed": total(r.lines_reviewed),
        "lines_skipped": total(r.lines_skipped),
        "prompt_tokens": total(r.prompt_tokens),
        "completion_tokens": total(r.completion_tokens),
        "context_tokens": total(r.context_tokens),
        "cost_usd": total(r.cost_usd),
        "avg_llm_ms": func.avg(r.llm_ms),
    }


def _summary(key: str | None, figures: Any, times: Any, waits: Any) -> ReviewSummary:
    values = dict(zip(_summary_columns(), figures, strict=True))
    return ReviewSummary(
        repo_name=key,
        **{k: int(v) for k, v in values.items() if k not in {"cost_usd", "avg_llm_ms"}},
        cost_usd=float(values["cost_usd"]),
        avg_llm_ms=as_int(values["avg_llm_ms"]),
        p50_ms=as_int(times[0]),
        p95_ms=as_int(times[1]),
        queue_wait_p50_ms=as_int(waits[0]),
        queue_wait_p95_ms=as_int(waits[1]),
    )


def review_summary(db: Database, period: Period, *, repo: str | None = None) -> ReviewSummary:
    """Every review of the period (or of one repository) in one line: volume, cost, cache
    hits, where the findings went, p50/p95 time to review and queue wait."""
    where = [finished_on(period.since, period.until)]
    if repo is not None:
        where.append(Review.repo_name == repo)
    with db.session() as s:
        figures = s.execute(select(*_summary_columns().values()).where(*where)).one()
        times = s.execute(percentiles_overall(ranked(Review.total_ms, [*where, _DONE]))).one()
        waits = s.execute(percentiles_overall(ranked(Review.queue_wait_ms, [*where, _DONE]))).one()
    return _summary(repo, figures, times, waits)


def repository_summaries(
    db: Database, period: Period, *, repo: str | None = None, limit: int | None = None
) -> list[ReviewSummary]:
    """:func:`review_summary` per repository, the most reviewed first."""
    where = [finished_on(period.since, period.until)]
    if repo is not None:
        where.append(Review.repo_name == repo)
    done = count_if(_DONE)
    query = (
        select(Review.repo_name, *_summary_columns().values())
        .where(*where)
        .group_by(Review.repo_name)
        .order_by(done.desc(), Review.repo_name)
    )
    if limit is not None:
        query = query.limit(limit)
    key = Review.repo_name
    with db.session() as s:
        rows = s.execute(query).all()
        times = dict_of(
            s.execute(percentiles_by_key(ranked(Review.total_ms, [*where, _DONE], key)))
        )
        waits = dict_of(
            s.execute(percentiles_by_key(ranked(Review.queue_wait_ms, [*where, _DONE], key)))
        )
    none = (None, None)
    return [
        _summary(row[0], row[1:], times.get(row[0], none), waits.get(row[0], none)) for row in rows
    ]


def dict_of(rows: Any) -> dict[Any, tuple[Any, ...]]:
    """``{key: (the other columns…)}`` from rows whose first column is a key."""
    return {row[0]: tuple(row[1:]) for row in rows}


@dataclass(frozen=True)
class TriggerCount:
    """Reviews done for one kind of trigger (``stats.triggers``)."""

    trigger: str
    reviews: int
    cache_hits: int
    cost_usd: float


def review_triggers(db: Database, period: Period, *, repo: str | None = None) -> list[TriggerCount]:
    """Why reviews ran: push, command or rerun (most first)."""
    kind = trigger_kind_sql(Review.trigger).label("kind")
    count = func.count().label("reviews")
    query = (
        select(kind, count, count_if(Review.cache_hit.is_(True)), total(Review.cost_usd))
        .where(finished_on(period.since, period.until), _DONE)
        .group_by(kind)
        .order_by(count.desc(), kind)
    )
    if repo is not None:
        query = query.where(Review.repo_name == repo)
    with db.session() as s:
        rows = s.execute(query).all()
    return [TriggerCount(k, int(n), int(hits), float(cost)) for k, n, hits, cost in rows]


@dataclass(frozen=True)
class CategoryCount:
    """How many findings of one category a repository got (and how many went inline)."""

    repo_name: str
    category: str
    findings: int
    inline: int


def finding_categories(
    db: Database, period: Period, *, repo: str | None = None, per_repo: int | None = None
) -> list[CategoryCount]:
    """The most common finding categories per repository (findings stored in the period),
    by repository name, then most common first; ``per_repo`` keeps the top N of each."""
    f = FindingRecord
    count = func.count().label("findings")
    query = (
        select(f.repo_name, f.category, count, count_if(f.inline.is_(True)))
        .where(f.created_at >= period.since, f.created_at < period.until)
        .group_by(f.repo_name, f.category)
        .order_by(f.repo_name, count.desc(), f.category)
    )
    if repo is not None:
        query = query.where(f.repo_name == repo)
    with db.session() as s:
        rows = s.execute(query).all()
    out: list[CategoryCount] = []
    seen: dict[str, int] = {}
    for name, category, n, inline in rows:
        seen[name] = seen.get(name, 0) + 1
        if per_repo is None or seen[name] <= per_repo:
            out.append(CategoryCount(name, category, int(n), int(inline)))
    return out
