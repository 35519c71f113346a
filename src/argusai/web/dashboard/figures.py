"""The figures of the overview, repositories and CI pages, for one viewer.

The questions are :mod:`argusai.stats`'s; this module narrows the answers to the
repositories a viewer may see (``scope``: lower-case ``owner/name``; None for an admin,
who gets the stats functions' own answers). Sums over repositories add up exactly;
percentiles do not, so a narrowed p50/p95 is computed again over the viewer's reviews.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from argusai.stats.acceptance import Acceptance, acceptance_rates
from argusai.stats.ci import CIStats, ci_failure_categories, ci_repositories, ci_summary
from argusai.stats.models import ReviewMetrics
from argusai.stats.period import Period
from argusai.stats.reviews import ReviewSummary, repository_summaries, review_summary
from argusai.stats.rollup import finished_on
from argusai.stats.sql import as_int, percentiles_overall, ranked, rate
from argusai.store.db import Database
from argusai.store.models import DeadLetter, Repository, Review, ReviewStatus

Scope = frozenset[str] | None


def _in(scope: Scope, name: str | None) -> bool:
    return scope is None or (name is not None and name.lower() in scope)


@dataclass(frozen=True)
class Day:
    """One day of the rollup over the viewer's repositories."""

    date: date
    reviews: int
    cost_usd: float
    avg_ms: int | None
    accepted: int = 0
    dismissed: int = 0

    @property
    def acceptance_rate(self) -> float | None:
        """accepted / (accepted + dismissed) of that day's findings."""
        return rate(self.accepted, self.accepted + self.dismissed)


@dataclass(frozen=True)
class Overview:
    period: Period
    days: list[Day]
    reviews: int
    failed: int
    handed_off: int
    cost_usd: float
    p50_ms: int | None
    p95_ms: int | None
    accepted: int
    dismissed: int
    dead_letters: int | None  # None: not shown to this viewer

    @property
    def acceptance_rate(self) -> float | None:
        """accepted / (accepted + dismissed) of the findings posted in the period."""
        return rate(self.accepted, self.accepted + self.dismissed)


def daily(db: Database, period: Period, scope: Scope) -> list[Day]:
    """Every day of the period (zeros included) from the ``review_metrics`` rollup."""
    m = ReviewMetrics
    query = select(
        m.repo_name,
        m.date,
        m.total_reviews,
        m.cost_usd,
        m.review_time_ms_total,
        m.timed_reviews,
        m.accepted,
        m.dismissed,
    ).where(m.date >= period.first_day, m.date <= period.last_day)
    sums: dict[date, list[float]] = {d: [0, 0.0, 0, 0, 0, 0] for d in period.days()}
    with db.session() as s:
        for repo, day, *figures in s.execute(query):
            if day in sums and _in(scope, repo):
                row = sums[day]
                for i, value in enumerate(figures):
                    row[i] += value or 0
    return [
        Day(d, int(r), float(c), as_int(rate(t, n)), int(a), int(x))
        for d, (r, c, t, n, a, x) in sorted(sums.items())
    ]


def _scoped_times(db: Database, period: Period, scope: frozenset[str]) -> tuple[int | None, ...]:
    if not scope:
        return (None, None)
    where = [
        finished_on(period.since, period.until),
        Review.status == ReviewStatus.DONE.value,
        func.lower(Review.repo_name).in_(sorted(scope)),
    ]
    with db.session() as s:
        p50, p95 = s.execute(percentiles_overall(ranked(Review.total_ms, where))).one()
    return as_int(p50), as_int(p95)


def repositories(db: Database, period: Period, scope: Scope) -> list[ReviewSummary]:
    """:func:`~argusai.stats.reviews.repository_summaries` of the viewer's repositories."""
    return [r for r in repository_summaries(db, period) if _in(scope, r.repo_name)]


def acceptance(db: Database, period: Period, scope: Scope) -> dict[str, Acceptance]:
    """Acceptance of inline findings per repository the viewer may see."""
    rows = acceptance_rates(db, period, by="repository")
    return {a.key: a for a in rows if a.key is not None and _in(scope, a.key)}


def overview(db: Database, period: Period, scope: Scope, *, show_dead: bool) -> Overview:
    """The overview's cards and series."""
    if scope is None:
        summary = review_summary(db, period)
        reviews, failed, cost = summary.reviews, summary.failed, summary.cost_usd
        handed_off = summary.handed_off
        times: tuple[int | None, ...] = (summary.p50_ms, summary.p95_ms)
    else:
        rows = repositories(db, period, scope)
        reviews = sum(r.reviews for r in rows)
        failed = sum(r.failed for r in rows)
        handed_off = sum(r.handed_off for r in rows)
        cost = sum(r.cost_usd for r in rows)
        times = _scoped_times(db, period, scope)
    accepted = acceptance(db, period, scope).values()
    dead = None
    if show_dead:
        with db.session() as s:
            dead = int(s.scalar(select(func.count()).where(DeadLetter.retried_at.is_(None))) or 0)
    return Overview(
        period=period,
        days=daily(db, period, scope),
        reviews=reviews,
        failed=failed,
        handed_off=handed_off,
        cost_usd=cost,
        p50_ms=times[0],
        p95_ms=times[1],
        accepted=sum(a.accepted for a in accepted),
        dismissed=sum(a.dismissed for a in accepted),
        dead_letters=dead,
    )


def known_repositories(db: Database, scope: Scope) -> list[str]:
    """Repositories the App is installed on that the viewer may see, by name."""
    with db.session() as s:
        names = s.scalars(select(Repository.full_name).order_by(Repository.full_name)).all()
    return [n for n in names if _in(scope, n)]


@dataclass(frozen=True)
class CIPage:
    summary: CIStats
    repositories: list[CIStats]
    categories: list[tuple[str, int, int]]  # category, jobs, repositories


def ci(db: Database, period: Period, scope: Scope) -> CIPage:
    """CI explanations over the viewer's repositories and their failure categories."""
    if scope is None:
        cats = ci_failure_categories(db, period)
        return CIPage(
            ci_summary(db, period),
            ci_repositories(db, period),
            [(c.category, c.jobs, c.repositories) for c in cats],
        )
    rows = [r for r in ci_repositories(db, period) if _in(scope, r.repo_name)]
    jobs: Counter[str] = Counter()
    repos: Counter[str] = Counter()
    for row in rows:
        for cat in ci_failure_categories(db, period, repo=row.repo_name):
            jobs[cat.category] += cat.jobs
            repos[cat.category] += cat.repositories
    summary = CIStats(
        repo_name=None,
        explained=sum(r.explained for r in rows),
        failed=sum(r.failed for r in rows),
        passed_reruns=sum(r.passed_reruns for r in rows),
        jobs_explained=sum(r.jobs_explained for r in rows),
        jobs_not_explained=sum(r.jobs_not_explained for r in rows),
        prompt_tokens=sum(r.prompt_tokens for r in rows),
        completion_tokens=sum(r.completion_tokens for r in rows),
        cost_usd=sum(r.cost_usd for r in rows),
        p50_ms=rows[0].p50_ms if len(rows) == 1 else None,
        p95_ms=rows[0].p95_ms if len(rows) == 1 else None,
    )
    ordered = sorted(jobs.items(), key=lambda kv: (-kv[1], kv[0]))
    return CIPage(summary, rows, [(c, n, repos[c]) for c, n in ordered])
