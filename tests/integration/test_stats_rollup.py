"""The daily rollup (``review_metrics``) against hand-computed figures, on SQLite and
PostgreSQL: which reviews count on which day, re-running a day, a range, and the history
kept after reviews are pruned."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from argusai.stats.models import ReviewMetrics
from argusai.stats.rollup import rollup, rollup_day, rollup_recent
from argusai.store.db import Database
from argusai.store.models import Review
from tests.support.stats import add_finding, add_review, at, open_database

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request, tmp_path)


def seed(db: Database) -> dict[str, int]:
    """Two repositories over two days; every line's figures are summed by hand below."""
    r1 = add_review(
        db,
        "a/one",
        at(2, 10),
        total_ms=10_000,
        comments_count=2,
        summarised_count=1,
        severity_high=1,
        severity_medium=2,
        findings_llm=2,
        findings_check=1,
        rejected_count=1,
        prompt_tokens=1000,
        completion_tokens=200,
        cost_usd=0.01,
    )
    r2 = add_review(
        db, "a/one", at(2, 12), total_ms=2_000, cache_hit=True, comments_count=1, severity_low=1
    )
    add_review(db, "a/one", at(2, 13), status="failed", error_message="GitHub 502")
    add_review(
        db, "a/one", at(2, 13, 30), status="handed_off", error_message="handed to GitHub Actions"
    )
    add_review(db, "a/one", at(2, 14), error_message="skipped: draft pull request")
    add_review(db, "a/one", at(2, 15), status="superseded", error_message="superseded")
    add_review(db, "a/one", None, status="queued")
    # created late on the 2nd, finished on the 3rd: it counts on the 3rd
    r6 = add_review(db, "a/one", at(3, 0, 30), total_ms=60_000, created_at=at(2, 23, 59))
    r7 = add_review(
        db,
        "b/two",
        at(2, 23, 59, 59.999),
        total_ms=4_000,
        comments_count=1,
        severity_critical=1,
        cost_usd=0.02,
    )
    add_finding(db, r1, "fp1", outcome="accepted")
    add_finding(db, r1, "fp2", outcome="dismissed")
    add_finding(db, r1, "fp3", inline=False)
    add_finding(db, r2, "fp5", outcome="resolved")
    add_finding(db, r6, "fp6", outcome="dismissed")
    add_finding(db, r7, "fp4", outcome="accepted")
    return {"r1": r1, "r7": r7}


def metrics(db: Database) -> dict[tuple[str, date], ReviewMetrics]:
    with db.session() as s:
        return {(m.repo_name, m.date): m for m in s.scalars(select(ReviewMetrics))}


def figures(m: ReviewMetrics) -> dict[str, object]:
    names = [
        "total_reviews",
        "failed_reviews",
        "handed_off_reviews",
        "cache_hits",
        "comments_count",
        "summarised_count",
        "severity_critical",
        "severity_high",
        "severity_medium",
        "severity_low",
        "findings_llm",
        "findings_check",
        "rejected_count",
        "prompt_tokens",
        "completion_tokens",
        "review_time_ms_total",
        "timed_reviews",
        "avg_review_time_ms",
        "accepted",
        "dismissed",
    ]
    return {n: getattr(m, n) for n in names}


ONE_D1 = {
    "total_reviews": 2,  # r1, r2 (failed, handed off, skipped, superseded, queued are not)
    "failed_reviews": 1,
    "handed_off_reviews": 1,  # made by the repository's workflow instead
    "cache_hits": 1,
    "comments_count": 3,
    "summarised_count": 1,
    "severity_critical": 0,
    "severity_high": 1,
    "severity_medium": 2,
    "severity_low": 1,
    "findings_llm": 2,
    "findings_check": 1,
    "rejected_count": 1,
    "prompt_tokens": 1000,
    "completion_tokens": 200,
    "review_time_ms_total": 12_000,
    "timed_reviews": 2,
    "avg_review_time_ms": 6_000,
    "accepted": 1,  # fp1
    "dismissed": 1,  # fp2 (fp5 resolved counts as neither)
}


def test_a_day_adds_up_to_the_hand_computed_figures(db: Database) -> None:
    seed(db)
    assert rollup_day(db, D1) == 2
    rows = metrics(db)
    assert set(rows) == {("a/one", D1), ("b/two", D1)}
    one = rows["a/one", D1]
    assert figures(one) == ONE_D1
    assert one.cost_usd == pytest.approx(0.01)
    assert one.cache_hit_rate == pytest.approx(0.5)
    assert one.error_rate == pytest.approx(1 / 3)
    two = rows["b/two", D1]
    assert (two.total_reviews, two.severity_critical, two.comments_count) == (1, 1, 1)
    assert (two.avg_review_time_ms, two.accepted, two.dismissed) == (4_000, 1, 0)
    assert (two.cache_hit_rate, two.error_rate) == (0.0, 0.0)
    assert two.cost_usd == pytest.approx(0.02)


def test_rolling_a_day_up_again_changes_nothing_then_follows_new_reviews(db: Database) -> None:
    seed(db)
    rollup_day(db, D1)
    first = {k: figures(m) for k, m in metrics(db).items()}
    assert rollup_day(db, D1) == 2
    assert {k: figures(m) for k, m in metrics(db).items()} == first  # idempotent, no duplicate

    add_review(db, "a/one", at(2, 18), total_ms=3_000, comments_count=4)
    rollup_day(db, D1)
    one = metrics(db)["a/one", D1]
    assert (one.total_reviews, one.comments_count, one.avg_review_time_ms) == (3, 7, 5_000)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReviewMetrics)) == 2


def test_an_outcome_known_later_reaches_the_day_the_finding_was_posted(db: Database) -> None:
    ids = seed(db)
    rollup_day(db, D1)
    add_finding(db, ids["r7"], "fp7", outcome="dismissed")
    rollup_day(db, D1)
    assert metrics(db)["b/two", D1].dismissed == 1


def test_a_range_rolls_up_every_day_once(db: Database) -> None:
    seed(db)
    report = rollup(db, date(2026, 3, 1), date(2026, 3, 4))
    assert report.days == [date(2026, 3, d) for d in (1, 2, 3, 4)]
    assert report.rows == 3
    rows = metrics(db)
    assert set(rows) == {("a/one", D1), ("b/two", D1), ("a/one", D2)}
    assert figures(rows["a/one", D1]) == ONE_D1
    on_d2 = rows["a/one", D2]
    assert (on_d2.total_reviews, on_d2.avg_review_time_ms, on_d2.dismissed) == (1, 60_000, 1)

    again = rollup(db, date(2026, 3, 1), date(2026, 3, 4))
    assert again.rows == 3
    assert {k: figures(m) for k, m in metrics(db).items()} == {
        k: figures(m) for k, m in rows.items()
    }


def test_the_rollup_outlives_pruned_reviews(db: Database) -> None:
    seed(db)
    rollup(db, D1, D2)
    with db.session() as s:  # retention prunes b/two's reviews
        s.execute(delete(Review).where(Review.repo_name == "b/two"))
    rollup(db, D1, D2)
    assert metrics(db)["b/two", D1].total_reviews == 1


def test_days_older_than_the_kept_reviews_are_left_alone(db: Database) -> None:
    seed(db)
    report = rollup(db, D1, D2, oldest=D2)
    assert (report.days, report.kept) == ([D2], [D1])
    assert set(metrics(db)) == {("a/one", D2)}


def test_the_hourly_job_rolls_up_the_last_week(db: Database) -> None:
    seed(db)
    report = rollup_recent(db, today=date(2026, 3, 8))
    assert report.days[0] == D1 and report.days[-1] == date(2026, 3, 8)
    assert len(report.days) == 7
    assert report.rows == 3
