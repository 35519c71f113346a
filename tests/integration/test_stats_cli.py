"""``argus stats`` (tables and JSON), ``argus stats rollup`` and ``argus stats audit`` as an
operator runs them on a temporary data dir; the operator actions that land in the audit
log (a retried job, config set/unset, a suppression removed, tenant and key changes)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from argusai.cli import app
from argusai.review import items as workitems
from argusai.review.conversation.models import Suppression
from argusai.review.items import ReviewRequest
from argusai.store.audit import AuditEntry, recent
from argusai.store.db import Database
from argusai.store.models import utcnow
from tests.support.stats import add_finding, add_review


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_LOG_FORMAT", "json")
    monkeypatch.setenv("COLUMNS", "200")  # rich tables at a width that does not wrap
    assert argus("db", "upgrade").exit_code == 0
    return Database(f"sqlite:///{tmp_path / 'data' / 'argus.db'}")


def argus(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def seed_recent(db: Database) -> None:
    """A few reviews of the last hours (inside the default 7 days)."""
    now = utcnow()
    hour = timedelta(hours=1)
    r1 = add_review(
        db,
        "octo/shop",
        now - 2 * hour,
        total_ms=12_000,
        comments_count=2,
        severity_high=2,
        prompt_tokens=1500,
        completion_tokens=300,
        cost_usd=0.0042,
        model="gpt-4o-mini",
        prompt_version="review-v7",
    )
    add_review(db, "octo/shop", now - hour, total_ms=3_000, cache_hit=True, trigger="check_run.x")
    add_review(db, "octo/api", now - hour, total_ms=30_000, comments_count=1, cost_usd=0.01)
    add_finding(db, r1, "fp1", outcome="accepted", category="bug")
    add_finding(db, r1, "fp2", outcome="dismissed", category="security")


def test_stats_prints_the_period_as_tables(db: Database) -> None:
    seed_recent(db)
    result = argus("stats")
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in (
        "Reviews",
        "Reviews per day",
        "Repositories (most reviews first)",
        "Why reviews ran",
        "Finding categories",
        "Acceptance by model",
        "Acceptance by prompt version",
        "Scout",
    ):
        assert heading in out
    assert "time to review p50 / p95" in out and "12.0 s / 30.0 s" in out
    assert "answered from the cache" in out and "1 (33 %)" in out
    assert "octo/shop" in out and "octo/api" in out
    assert "gpt-4o-mini" in out and "50 %" in out  # one accepted, one dismissed
    assert "CI: no failed workflow run finished in this period" in out

    shop = argus("stats", "--repo", "octo/shop")
    assert shop.exit_code == 0
    assert "octo/api" not in shop.output and "Scout" not in shop.output


def test_stats_json_and_a_read_only_run(db: Database) -> None:
    seed_recent(db)
    untouched = json.loads(argus("stats", "--json", "--no-refresh").stdout)
    assert untouched["daily"] == []  # the rollup was never made, and --no-refresh only reads
    report = json.loads(argus("stats", "--json", "--since", "2d").stdout)
    assert report["reviews"]["reviews"] == 3
    assert report["reviews"]["cache_hit_rate"] == pytest.approx(1 / 3)
    assert sum(d["reviews"] for d in report["daily"]) == 3  # refreshed before reading
    assert report["acceptance_by_repository"][0]["rate"] == 0.5
    assert {t["trigger"] for t in report["triggers"]} == {"push", "rerun"}
    assert report["scout"]["runs"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("stats", "--repo", "nope"), "--repo must be owner/name"),
        (("stats", "--since", "last week"), "neither a span like 7d"),
        (("stats", "--since", "2026-03-05", "--until", "2026-03-01"), "the period is empty"),
    ],
)
def test_stats_refuses_bad_options_in_one_line(
    db: Database, args: tuple[str, ...], message: str
) -> None:
    result = argus(*args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_rollup_command_rebuilds_a_range_and_keeps_pruned_days(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_recent(db)
    today = utcnow().date()
    since = (today - timedelta(days=2)).isoformat()
    done = argus("stats", "rollup", "--since", since, "--until", today.isoformat())
    assert done.exit_code == 0, done.output
    assert f"rolled up 3 days ({since} to {today})" in done.output
    assert "repository-day row" in done.output

    monkeypatch.setenv("ARGUS_RETENTION_REVIEWS_DAYS", "30")
    old = argus("stats", "rollup", "--since", "60d")
    assert old.exit_code == 0, old.output
    assert "rolled up 30 days" in old.output
    assert "left 31 day(s) before" in old.output


def test_retrying_a_dead_job_is_in_the_audit_log(db: Database) -> None:
    review_id = workitems.enqueue_review(db, ReviewRequest(1, "o/r", 5, "a" * 40, "test"))
    assert review_id is not None
    from argusai.review.items import REVIEWS
    from argusai.workq import items

    assert items.claim(db, REVIEWS, review_id, 60, "w") is not None
    items.retry_later(db, REVIEWS, "review", review_id, "w", error="boom", max_retries=0, delay=0)
    assert argus("jobs", "retry", str(review_id)).exit_code == 0

    (entry,) = recent(db)
    assert (entry.action, entry.target) == ("jobs.retry", f"review {review_id}")
    assert entry.actor.startswith("cli:")
    listed = argus("stats", "audit")
    assert listed.exit_code == 0
    assert "jobs.retry" in listed.output and f"review {review_id}" in listed.output

    assert argus("jobs", "retry", str(review_id)).exit_code == 1  # nothing done: nothing audited
    assert len(recent(db)) == 1


def test_config_suppression_and_tenant_changes_are_audited(db: Database) -> None:
    assert argus("config", "set", "severity_threshold", "high", "--repo", "o/r").exit_code == 0
    assert argus("config", "unset", "severity_threshold", "--repo", "o/r").exit_code == 0
    assert argus("config", "unset", "severity_threshold", "--repo", "o/r").exit_code == 0  # no-op
    with db.session() as s:
        rule = Suppression(repo_name="o/r", title="noise", created_by="alice")
        s.add(rule)
        s.flush()
        rule_id = rule.id
    assert argus("suppressions", "remove", "--repo", "o/r", str(rule_id)).exit_code == 0
    assert argus("tenant", "create", "acme").exit_code == 0
    assert argus("tenant", "webhook", "acme", "--url", "", "--enable").exit_code == 0
    assert argus("apikey", "create", "--tenant", "acme").exit_code == 0

    entries = list(reversed(recent(db)))
    assert [(e.action, e.target) for e in entries] == [
        ("config.set", "operator (repository o/r)"),
        ("config.unset", "operator (repository o/r)"),
        ("suppressions.remove", "o/r"),
        ("tenant.create", "acme"),
        ("tenant.webhook", "acme"),
        ("apikey.create", "acme"),
    ]
    assert entries[0].details == {"key": "severity_threshold", "value": "high"}
    assert entries[2].details == {"rule": rule_id}
    assert entries[4].details == {"enable": True, "rotate_secret": False, "url": "cleared"}

    only_config = json.loads(argus("stats", "audit", "--action", "config", "--json").stdout)
    assert [e["action"] for e in only_config] == ["config.unset", "config.set"]
    assert argus("stats", "audit", "--action", "jobs").output.strip() == (
        "no operator actions recorded in this period"
    )


def test_an_audit_row_is_cut_to_its_columns(db: Database) -> None:
    from argusai.store import audit

    audit.write(db, "x" * 100, "t" * 500, {"k": 1}, actor="github:" + "a" * 400)
    (entry,) = recent(db)
    assert isinstance(entry, AuditEntry)
    assert (len(entry.action), len(entry.target), len(entry.actor)) == (64, 255, 255)
