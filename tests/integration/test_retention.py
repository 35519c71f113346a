"""Retention on SQLite and PostgreSQL: only expired, finished rows go; in-flight items stay.

Every kind of data gets an expired finished row (must go), an expired row still in flight
(queued, running, a pending callback: must stay) and a recent row (must stay). The prune
runs in batches of two so that the batching is exercised too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from typer.testing import CliRunner

from argusai.ci.models import CIRun
from argusai.ciapi.models import AuditLog, Organization
from argusai.cilog.models import Analysis
from argusai.cli import app
from argusai.notify.models import Notification
from argusai.retention.prune import count, prune
from argusai.retention.rules import rules
from argusai.retention.task import RETENTION_TASK, run_retention
from argusai.review.conversation.models import PRCommand
from argusai.schema import metadata
from argusai.scout.models import ScoutRun
from argusai.settings import Settings
from argusai.store.audit import AuditEntry
from argusai.store.db import Database
from argusai.store.heartbeats import WorkerHeartbeat
from argusai.store.migrate import upgrade
from argusai.store.models import (
    DeadLetter,
    FindingRecord,
    RedeliveryRequest,
    Review,
    WebhookDelivery,
    utcnow,
)
from argusai.telemetry.metrics import telemetry
from tests.conftest import make_settings
from tests.support import make_runtime

NOW = utcnow()


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = (
        f"sqlite:///{tmp_path / 'argus.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    database = Database(url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)  # the defaults: 30 d deliveries, 14 d answers, 180 d reviews…


def _review(id_: int, status: str, days: float, *, result: bool = True, **kw: Any) -> Review:
    if result:  # else SQL NULL (an explicit None would be stored as JSON null)
        kw |= {"result": {"summaries": ["the LLM's words"]}, "cache_key": f"key-{id_}"}
    return Review(
        id=id_,
        installation_id=1,
        repo_name="o/r",
        pr_number=id_,
        sha=f"{id_:040d}",
        status=status,
        created_at=ago(days),
        **kw,
    )


def _work(model: Any, id_: int, status: str, days: float, **kw: Any) -> Any:
    return model(id=id_, status=status, created_at=ago(days), **kw)


def seed(db: Database, data_dir: Path) -> dict[str, Path]:
    """One of everything: expired and finished, expired but in flight, recent."""
    logs = data_dir / "logs" / "2026" / "01" / "02"
    logs.mkdir(parents=True)
    old_log, running_log = logs / "scout-1-old.jsonl", logs / "scout-2-running.jsonl"
    old_log.write_text("{}\n")
    running_log.write_text("{}\n")
    with db.session() as s:
        s.add_all(
            [
                WebhookDelivery(
                    delivery_id="old", event="ping", status="accepted", received_at=ago(31)
                ),
                WebhookDelivery(
                    delivery_id="new", event="ping", status="accepted", received_at=ago(29)
                ),
                # reviews: 180 days; their raw LLM answer: 14 days
                _review(1, "done", 200),
                _review(2, "failed", 200, result=False),
                _review(3, "superseded", 200),
                _review(4, "queued", 200),
                _review(5, "running", 200, lease_owner="w", lease_expires_at=ago(199)),
                _review(6, "done", 30),  # answer cleared, review kept
                _review(7, "done", 1),  # untouched
                _review(8, "running", 30),  # in flight: its answer stays
                _review(9, "handed_off", 200, result=False),  # handed to Actions: finished
            ]
        )
        s.flush()
        s.add_all(
            [
                FindingRecord(
                    review_id=r,
                    repo_name="o/r",
                    pr_number=r,
                    fingerprint=f"fp{r}",
                    path="a.py",
                    severity="high",
                    category="bug",
                    title="t",
                )
                for r in (1, 7)
            ]
        )
        s.add_all(
            [
                _work(
                    PRCommand,
                    1,
                    "done",
                    100,
                    dedup_key="c1",
                    installation_id=1,
                    repo_name="o/r",
                    pr_number=1,
                    source="issue_comment",
                    name="ask",
                ),
                _work(
                    PRCommand,
                    2,
                    "queued",
                    100,
                    dedup_key="c2",
                    installation_id=1,
                    repo_name="o/r",
                    pr_number=1,
                    source="issue_comment",
                    name="ask",
                ),
                _work(CIRun, 1, "done", 100, installation_id=1, repo_name="o/r", run_id=11),
                _work(CIRun, 2, "running", 100, installation_id=1, repo_name="o/r", run_id=12),
                Organization(id="t-free", name="free co", subscription_tier="free"),
                Organization(id="t-pro", name="pro co", subscription_tier="pro"),
                Organization(id="t-odd", name="odd co", subscription_tier="legacy"),
            ]
        )
        s.flush()
        s.add_all(
            [
                # GitHub-job analysis: goes with its CI run
                Analysis(id="a-ci", ci_run_id=1, status="completed", created_at=ago(100)),
                # free tier: 7 days
                Analysis(
                    id="a-free-old", tenant_id="t-free", status="completed", created_at=ago(8)
                ),
                Analysis(
                    id="a-free-failed", tenant_id="t-free", status="failed", created_at=ago(8)
                ),
                Analysis(
                    id="a-free-pending", tenant_id="t-free", status="pending", created_at=ago(8)
                ),
                Analysis(
                    id="a-free-callback",
                    tenant_id="t-free",
                    status="completed",
                    callback_status="pending",
                    created_at=ago(8),
                ),
                Analysis(
                    id="a-free-new", tenant_id="t-free", status="completed", created_at=ago(6)
                ),
                # pro tier: 90 days
                Analysis(id="a-pro", tenant_id="t-pro", status="completed", created_at=ago(8)),
                # a tier without a retention setting is kept
                Analysis(id="a-odd", tenant_id="t-odd", status="completed", created_at=ago(999)),
                AuditLog(action="tenant.create", created_at=ago(400)),
                AuditLog(action="tenant.update", created_at=ago(10)),
                AuditEntry(actor="cli:ops", action="jobs.retry", created_at=ago(400)),
                AuditEntry(actor="cli:ops", action="config.set", created_at=ago(10)),
                *(
                    _work(
                        Notification,
                        n,
                        status,
                        days,
                        channel_key="k",
                        channel_display="slack",
                        event_kind="dead_letter",
                    )
                    for n, status, days in ((1, "done", 31), (2, "failed", 31), (3, "queued", 31))
                ),
                ScoutRun(
                    id=1, budget=10, outcome="done", started_at=ago(100), log_path=str(old_log)
                ),
                ScoutRun(
                    id=2,
                    budget=10,
                    outcome="running",
                    started_at=ago(100),
                    log_path=str(running_log),
                ),
                ScoutRun(id=3, budget=10, outcome="done", started_at=ago(1)),
                DeadLetter(kind="review", item_id="2", reason="x", created_at=ago(100)),
                DeadLetter(kind="review", item_id="9", reason="x", created_at=ago(10)),
                RedeliveryRequest(delivery_id=1, guid="g", requested_at=ago(8)),
                RedeliveryRequest(delivery_id=2, guid="g", requested_at=ago(1)),
                WorkerHeartbeat(worker_id="gone", hostname="h", pid=1, version="", seen_at=ago(2)),
                WorkerHeartbeat(worker_id="alive", hostname="h", pid=2, version="", seen_at=NOW),
            ]
        )
    return {"old_log": old_log, "running_log": running_log}


def _ids(db: Database, model: Any) -> set[Any]:
    key = inspect(model).primary_key[0]
    with db.session() as s:
        return set(s.scalars(select(key)))


EXPECTED = {
    "webhook_deliveries": 1,
    "review_llm_answers": 3,  # reviews 1, 3 and 6 (1 and 3 are then deleted too)
    "reviews": 4,
    "commands": 1,
    "ci_runs": 1,
    "analyses:free": 2,
    "analyses:pro": 0,
    "notifications": 2,
    "api_audit": 1,
    "operator_audit": 1,
    "scout_runs": 1,
    "dead_letters": 1,
    "redelivery_requests": 1,
    "worker_heartbeats": 1,
}


def test_only_expired_finished_rows_go(db: Database, settings: Settings, tmp_path: Path) -> None:
    files = seed(db, settings.data_dir)
    counted = {k.kind: k.rows for k in count(db, rules(settings), now=NOW)}
    done = prune(db, rules(settings), batch_size=2, files_root=settings.data_dir, now=NOW)
    pruned = {k.kind: k.rows for k in done}
    assert {k: pruned[k] for k in EXPECTED} == EXPECTED
    assert {k: counted[k] for k in EXPECTED} == EXPECTED  # the dry run counts the same

    assert _ids(db, WebhookDelivery) == {"new"}
    assert _ids(db, Review) == {4, 5, 6, 7, 8}  # queued and running stay, whatever their age
    with db.session() as s:
        answers = dict(s.execute(select(Review.id, Review.result)).all())
        keys = dict(s.execute(select(Review.id, Review.cache_key)).all())
    assert answers[6] is None and keys[6] is None
    assert answers[7] is not None and answers[8] is not None and answers[4] is not None
    assert {f.review_id for f in _rows(db, FindingRecord)} == {7}  # with its review
    assert _ids(db, PRCommand) == {2}
    assert _ids(db, CIRun) == {2}
    assert _ids(db, Analysis) == {
        "a-free-pending",
        "a-free-callback",
        "a-free-new",
        "a-pro",
        "a-odd",
    }
    assert {a.action for a in _rows(db, AuditLog)} == {"tenant.update"}
    assert {a.action for a in _rows(db, AuditEntry)} == {"config.set"}
    assert _ids(db, Notification) == {3}
    assert _ids(db, ScoutRun) == {2, 3}
    assert not files["old_log"].exists() and files["running_log"].exists()
    assert done[[k.kind for k in done].index("scout_runs")].files == 1
    assert {d.item_id for d in _rows(db, DeadLetter)} == {"9"}
    assert _ids(db, RedeliveryRequest) == {2}
    assert _ids(db, WorkerHeartbeat) == {"alive"}
    assert _ids(db, Organization) == {"t-free", "t-pro", "t-odd"}  # tenants are not history

    again = prune(db, rules(settings), batch_size=2, files_root=settings.data_dir, now=NOW)
    assert sum(k.rows for k in again) == 0  # idempotent


def _rows(db: Database, model: Any) -> list[Any]:
    with db.session() as s:
        return list(s.scalars(select(model)))


def test_zero_days_keeps_forever(db: Database, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        retention_deliveries_days=0,
        retention_reviews_days=0,
        retention_llm_answers_days=0,
        retention_analyses_days={"free": 0},
    )
    seed(db, settings.data_dir)
    done = {k.kind: k for k in prune(db, rules(settings), batch_size=500, now=NOW)}
    for kind in ("webhook_deliveries", "reviews", "review_llm_answers", "analyses:free"):
        assert done[kind].rows == 0 and done[kind].cutoff is None
    assert _ids(db, WebhookDelivery) == {"old", "new"}
    assert len(_ids(db, Review)) == 9


def test_no_rule_touches_the_rollups_or_the_catalogue(settings: Settings) -> None:
    tables = {rule.model.__tablename__ for rule in rules(settings)}
    kept = {"review_metrics", "scout_repositories", "scout_issues", "organizations", "api_keys"}
    assert not tables & kept
    assert tables <= set(metadata().tables)


def test_a_file_outside_the_data_dir_is_never_removed(db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    outside = tmp_path / "elsewhere.jsonl"
    outside.write_text("keep me")
    with db.session() as s:
        s.add(ScoutRun(budget=1, outcome="done", started_at=ago(100), log_path=str(outside)))
    done = prune(db, rules(settings), batch_size=10, files_root=settings.data_dir, now=NOW)
    assert {k.kind: k.rows for k in done}["scout_runs"] == 1
    assert outside.read_text() == "keep me"


# ---- the hourly task and ``argus db prune`` -------------------------------------------------


def test_the_hourly_task_is_declared_and_counts_what_it_removed(tmp_path: Path) -> None:
    from argusai.app import register_tasks

    rt = make_runtime(make_settings(tmp_path))
    register_tasks(rt)
    names = set(rt.huey._registry._registry)
    assert any(name.endswith(RETENTION_TASK) for name in names)
    seed(rt.db, rt.settings.data_dir)
    before = telemetry().registry.get_sample_value(
        "argus_retention_rows_total", {"kind": "reviews"}
    )
    done = run_retention(rt)
    assert done is not None and {k.kind: k.rows for k in done}["reviews"] == 4
    after = telemetry().registry.get_sample_value("argus_retention_rows_total", {"kind": "reviews"})
    assert (after or 0) - (before or 0) == 4
    rt.db.dispose()


def test_the_cleanup_can_be_switched_off(tmp_path: Path) -> None:
    rt = make_runtime(make_settings(tmp_path, retention_enabled=False))
    seed(rt.db, rt.settings.data_dir)
    assert run_retention(rt) is None
    assert len(_ids(rt.db, Review)) == 9
    rt.db.dispose()


def _table_counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            name: int(s.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in metadata().tables.items()
        }


def test_argus_db_prune_dry_run_changes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("ARGUS_DATA_DIR", str(data))
    monkeypatch.setenv("ARGUS_RETENTION_ANALYSES_DAYS", "free=7")
    monkeypatch.setenv("COLUMNS", "200")  # one line per row of the table
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    db = Database(f"sqlite:///{data / 'argus.db'}")
    files = seed(db, data)
    before = _table_counts(db)

    dry = runner.invoke(app, ["db", "prune", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert _table_counts(db) == before
    assert files["old_log"].exists()
    assert "dry run: nothing deleted" in dry.output
    assert "would go" in dry.output
    lines = {line.split("│")[1].strip(): line for line in dry.output.splitlines() if "│" in line}
    assert "1" in lines["webhook_deliveries"].split("│")[4]
    assert "4" in lines["reviews"].split("│")[4]
    assert "forever" not in lines["reviews"]
    assert "would be removed" in dry.output

    real = runner.invoke(app, ["db", "prune"])
    assert real.exit_code == 0, real.output
    assert "deleted" in real.output and "removed" in real.output
    assert _ids(db, WebhookDelivery) == {"new"}
    assert _ids(db, Review) == {4, 5, 6, 7, 8}
    assert not files["old_log"].exists()
    db.dispose()
