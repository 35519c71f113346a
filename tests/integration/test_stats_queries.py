"""The analytics queries on SQLite and PostgreSQL: seed 002's daily metrics and most active
repositories, p50/p95 by nearest rank, acceptance from the findings' outcomes, triggers,
categories, the CI agent and the scout."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from argusai.ci.models import CIRun
from argusai.cilog.models import Analysis
from argusai.scout.models import ScoutIssue, ScoutRepository, ScoutRun
from argusai.stats.acceptance import acceptance_rates
from argusai.stats.ci import ci_failure_categories, ci_repositories, ci_summary
from argusai.stats.period import Period
from argusai.stats.reviews import (
    daily_review_metrics,
    finding_categories,
    most_active_repositories,
    repository_summaries,
    review_summary,
    review_triggers,
)
from argusai.stats.rollup import rollup
from argusai.stats.scout import scout_runs, scout_summary
from argusai.store.db import Database
from tests.support.stats import add_finding, add_review, at, open_database

MARCH = Period.of_days(date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    yield from open_database(request, tmp_path)


def test_seed_daily_review_metrics_weighs_every_review(db: Database) -> None:
    add_review(db, "a/one", at(2, 9), total_ms=10_000, cache_hit=True, comments_count=2)
    add_review(db, "a/one", at(2, 10), total_ms=2_000, comments_count=1)
    add_review(db, "b/two", at(2, 11), total_ms=3_000, cost_usd=0.5)
    add_review(db, "b/two", at(3, 11), total_ms=8_000, severity_high=2)
    add_review(db, "b/two", at(3, 12), status="failed", error_message="gave up")
    rollup(db, date(2026, 3, 1), date(2026, 3, 4))

    day2, day3 = daily_review_metrics(db, Period.of_days(date(2026, 3, 2), date(2026, 3, 8)))
    assert (day2.date, day2.reviews, day2.failed, day2.comments) == (date(2026, 3, 2), 3, 0, 3)
    assert day2.avg_review_time_ms == 5_000  # (10 + 2 + 3) / 3 s, not the mean of means
    assert day2.cache_hit_rate == pytest.approx(1 / 3)
    assert day2.cost_usd == pytest.approx(0.5)
    assert (day3.reviews, day3.failed, day3.high, day3.avg_review_time_ms) == (1, 1, 2, 8_000)

    (only,) = daily_review_metrics(db, Period.of_days(date(2026, 3, 3), date(2026, 3, 3)))
    assert only.date == date(2026, 3, 3)
    (mine,) = daily_review_metrics(db, MARCH, repo="a/one")
    assert (mine.reviews, mine.comments) == (2, 3)


def test_seed_most_active_repositories(db: Database) -> None:
    for comments in (1, 2, 6):
        add_review(db, "busy/repo", at(5), comments_count=comments)
    add_review(db, "busy/repo", at(5), status="failed", error_message="x")  # not a review done
    add_review(db, "quiet/repo", at(6), comments_count=3)
    add_review(db, "zzz/old", at(1, 0) - timedelta(days=1))  # before the period

    active = most_active_repositories(db, MARCH)
    assert [(a.repo_name, a.review_count, a.avg_comments) for a in active] == [
        ("busy/repo", 3, 3.0),
        ("quiet/repo", 1, 3.0),
    ]
    assert [a.repo_name for a in most_active_repositories(db, MARCH, limit=1)] == ["busy/repo"]


def test_p50_and_p95_by_nearest_rank(db: Database) -> None:
    for i in range(1, 21):  # 100 ms … 2000 ms, inserted out of order
        add_review(db, "p/p", at(4, i), total_ms=(21 - i) * 100, queue_wait_ms=i * 10)
    add_review(db, "q/q", at(4, 1), total_ms=500)
    add_review(db, "q/q", at(4, 2), status="failed", error_message="x", total_ms=99_999)

    overall = review_summary(db, MARCH)
    # 21 values: rank ceil(10.5) = 11 → 1000 ms (q/q's 500 is the 5th); ceil(19.95) = 20
    assert (overall.p50_ms, overall.p95_ms) == (1000, 1900)
    p = review_summary(db, MARCH, repo="p/p")
    assert (p.p50_ms, p.p95_ms) == (1000, 1900)
    assert (p.queue_wait_p50_ms, p.queue_wait_p95_ms) == (100, 190)
    by_repo = {r.repo_name: r for r in repository_summaries(db, MARCH)}
    assert (by_repo["p/p"].p50_ms, by_repo["p/p"].p95_ms) == (1000, 1900)
    assert (by_repo["q/q"].p50_ms, by_repo["q/q"].p95_ms) == (500, 500)
    assert (by_repo["q/q"].reviews, by_repo["q/q"].failed) == (1, 1)
    assert by_repo["q/q"].error_rate == pytest.approx(0.5)
    assert [r.repo_name for r in repository_summaries(db, MARCH)] == ["p/p", "q/q"]
    empty = review_summary(db, MARCH, repo="no/such")
    assert (empty.reviews, empty.p50_ms, empty.cache_hit_rate) == (0, None, None)


def test_review_summary_adds_up_the_recorded_figures(db: Database) -> None:
    common = {"files_reviewed": 3, "files_skipped": 1, "lines_reviewed": 40, "lines_skipped": 7}
    add_review(
        db,
        "a/one",
        at(7),
        findings_llm=2,
        findings_check=1,
        summarised_count=1,
        rejected_count=2,
        context_tokens=300,
        llm_ms=1200,
        **common,
    )
    add_review(db, "a/one", at(7, 13), cache_hit=True, **common)
    add_review(
        db, "a/one", at(7, 14), status="handed_off", error_message="handed to GitHub Actions"
    )
    s = review_summary(db, MARCH)
    assert (s.reviews, s.failed, s.handed_off) == (2, 0, 1)  # made by the workflow: no figures
    assert (s.files_reviewed, s.files_skipped, s.lines_reviewed, s.lines_skipped) == (6, 2, 80, 14)
    assert (s.findings_llm, s.findings_check, s.summarised, s.rejected) == (2, 1, 1, 2)
    assert (s.context_tokens, s.avg_llm_ms, s.cache_hits, s.cache_hit_rate) == (300, 1200, 1, 0.5)


def test_acceptance_rate_from_the_findings_outcomes(db: Database) -> None:
    a1 = add_review(db, "a/one", at(2), model="gpt-4o", prompt_version="v3")
    a2 = add_review(db, "a/one", at(3), model="claude", prompt_version="v4", experiment_arm="B")
    b1 = add_review(db, "b/two", at(4), model="gpt-4o", prompt_version="v4")
    add_finding(db, a1, "f1", outcome="accepted")
    add_finding(db, a1, "f2", outcome="dismissed", category="bug")
    add_finding(db, a1, "f3", outcome="resolved")
    add_finding(db, a1, "f4")  # posted, no outcome yet: open
    add_finding(db, a1, "f5", inline=False, outcome=None)  # summary only: not posted inline
    add_finding(db, a2, "f6", outcome="dismissed", source="check")
    add_finding(db, b1, "f7", outcome="accepted")
    add_finding(db, b1, "f8", outcome="accepted")

    by_repo = {a.key: a for a in acceptance_rates(db, MARCH)}
    one = by_repo["a/one"]
    assert (one.posted, one.accepted, one.dismissed, one.resolved, one.open) == (5, 1, 2, 1, 1)
    assert one.rate == pytest.approx(1 / 3)
    assert (by_repo["b/two"].posted, by_repo["b/two"].rate) == (2, 1.0)

    by_model = {a.key: a.rate for a in acceptance_rates(db, MARCH, by="model")}
    assert by_model == {"gpt-4o": pytest.approx(3 / 4), "claude": 0.0}
    by_prompt = {
        a.key: (a.accepted, a.dismissed) for a in acceptance_rates(db, MARCH, by="prompt_version")
    }
    assert by_prompt == {"v3": (1, 1), "v4": (2, 1)}
    arms = {a.key: a.posted for a in acceptance_rates(db, MARCH, by="experiment_arm")}
    assert arms == {None: 6, "B": 1}
    sources = {a.key: a.rate for a in acceptance_rates(db, MARCH, by="source")}
    assert sources == {"llm": pytest.approx(3 / 4), "check": 0.0}
    (only,) = acceptance_rates(db, MARCH, repo="b/two", by="category")
    assert (only.key, only.accepted) == ("security", 2)
    with pytest.raises(ValueError, match="by must be one of"):
        acceptance_rates(db, MARCH, by="colour")  # type: ignore[arg-type]


def test_why_reviews_ran_and_what_they_found(db: Database) -> None:
    r1 = add_review(db, "a/one", at(2), trigger="pull_request.synchronize", cost_usd=0.1)
    add_review(db, "a/one", at(2), trigger="pull_request.opened", cost_usd=0.1)
    add_review(db, "a/one", at(2), trigger="check_run.rerequested", cache_hit=True)
    add_review(db, "b/two", at(2), trigger="comment.full-review", cost_usd=0.3)
    add_review(db, "b/two", at(2), trigger="")
    kinds = {t.trigger: (t.reviews, t.cache_hits) for t in review_triggers(db, MARCH)}
    assert kinds == {"push": (2, 0), "rerun": (1, 1), "command": (1, 0), "other": (1, 0)}
    assert [t.trigger for t in review_triggers(db, MARCH, repo="b/two")] == ["command", "other"]

    for fp, category in [("c1", "bug"), ("c2", "bug"), ("c3", "security"), ("c4", "style")]:
        add_finding(db, r1, fp, category=category, inline=fp != "c2")
    counted = [(c.category, c.findings, c.inline) for c in finding_categories(db, MARCH)]
    assert counted == [("bug", 2, 1), ("security", 1, 1), ("style", 1, 1)]
    top = finding_categories(db, MARCH, repo="a/one", per_repo=1)
    assert [(c.repo_name, c.category) for c in top] == [("a/one", "bug")]


def _ci_run(db: Database, repo: str, run_id: int, took_s: float, **values: object) -> int:
    created = at(10, 8)
    row = CIRun(
        installation_id=1,
        repo_name=repo,
        run_id=run_id,
        conclusion=values.pop("conclusion", "failure"),
        status=values.pop("status", "done"),
        created_at=created,
        completed_at=created + timedelta(seconds=took_s),
        **values,
    )
    with db.session() as s:
        s.add(row)
        s.flush()
        return row.id


def _analysis(db: Database, ci_run_id: int, evidence: list[str] | None, cost: float) -> None:
    explanation = None if evidence is None else {"root_cause": "x", "evidence": evidence}
    status = "failed" if evidence is None else "completed"
    with db.session() as s:
        s.add(
            Analysis(
                ci_run_id=ci_run_id,
                job_id=1,
                status=status,
                result={"job_id": 1, "job_name": "test", "explanation": explanation},
                prompt_tokens=100,
                completion_tokens=10,
                api_cost_usd=cost,
            )
        )


def test_ci_runs_explained_time_to_explanation_and_failure_categories(db: Database) -> None:
    fast = _ci_run(db, "a/one", 1, 30)
    slow = _ci_run(db, "a/one", 2, 90)
    other = _ci_run(db, "b/two", 3, 12.5)
    _ci_run(db, "a/one", 4, 5, conclusion="success")  # a re-run that passed
    _ci_run(db, "a/one", 5, 5, status="failed", error_message="gave up")
    _ci_run(db, "a/one", 6, 5, conclusion="success", error_message="skipped: nothing earlier")
    _analysis(db, fast, ["    assert total == 4", "Expected: 4"], 0.001)
    _analysis(db, fast, None, 0.0)
    _analysis(db, slow, ["npm ERR! code 1", "Killed"], 0.002)
    _analysis(db, other, ["Traceback (most recent call last):", "ValueError: bad"], 0.004)

    total = ci_summary(db, MARCH)
    assert (total.explained, total.failed, total.passed_reruns) == (3, 1, 1)
    assert (total.jobs_explained, total.jobs_not_explained) == (3, 1)
    assert total.cost_usd == pytest.approx(0.007)
    assert (total.p50_ms, total.p95_ms) == (30_000, 90_000)
    per_repo = {c.repo_name: c for c in ci_repositories(db, MARCH)}
    assert (per_repo["a/one"].p50_ms, per_repo["a/one"].p95_ms) == (30_000, 90_000)
    assert (per_repo["b/two"].explained, per_repo["b/two"].p50_ms) == (1, 12_500)
    assert [c.repo_name for c in ci_repositories(db, MARCH)] == ["a/one", "b/two"]

    categories = {c.category: (c.jobs, c.repositories) for c in ci_failure_categories(db, MARCH)}
    assert categories == {
        "assertion": (1, 1),
        "oom": (1, 1),  # "Killed" outweighs npm's error line
        "exception": (1, 1),  # the ValueError line outweighs the traceback's first line
        "not explained": (1, 1),
    }
    assert [c.category for c in ci_failure_categories(db, MARCH, repo="b/two")] == ["exception"]
    nothing = ci_summary(db, Period.of_days(date(2026, 4, 1), date(2026, 4, 2)))
    assert (nothing.explained, nothing.p50_ms, nothing.cost_usd) == (0, None, 0.0)


def test_scout_runs_requests_304_share_items_and_cost(db: Database) -> None:
    with db.session() as s:
        s.add(
            ScoutRun(
                budget=100,
                requests_used=100,
                not_modified=40,
                items_queued=7,
                outcome="done",
                started_at=at(3),
                finished_at=at(3, 13),
            )
        )
        s.add(
            ScoutRun(
                budget=50,
                requests_used=50,
                not_modified=10,
                items_queued=2,
                outcome="budget",
                started_at=at(4),
                finished_at=at(4, 13),
            )
        )
        s.add(
            ScoutRun(
                budget=50, requests_used=50, outcome="done", started_at=at(1) - timedelta(days=3)
            )
        )
        repo = ScoutRepository(
            full_name="o/r",
            source="awesome",
            processing_status="completed",
            processed_at=at(3, 14),
            summary={"cost_usd": 0.002},
        )
        s.add(repo)
        s.add(
            ScoutRepository(
                full_name="o/bad",
                source="awesome",
                processing_status="failed",
                processed_at=at(3, 14),
            )
        )
        s.flush()
        s.add(
            ScoutIssue(
                repository_id=repo.id,
                number=1,
                title="t",
                processing_status="completed",
                processed_at=at(3, 15),
                analysis={"cost_usd": 0.001, "difficulty": "easy"},
            )
        )

    stats = scout_summary(db, MARCH)
    assert (stats.runs, stats.outcomes) == (2, {"budget": 1, "done": 1})
    assert (stats.requests, stats.not_modified, stats.items_queued) == (150, 50, 9)
    assert stats.not_modified_share == pytest.approx(1 / 3)
    assert (stats.repositories_processed, stats.issues_processed, stats.processing_failed) == (
        1,
        1,
        1,
    )
    assert stats.llm_cost_usd == pytest.approx(0.003)
    assert [r.outcome for r in scout_runs(db, MARCH)] == ["budget", "done"]
