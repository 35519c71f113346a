"""Metrics plumbing without a server: access rules, the work observer, metrics files, settings."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from argusai.errors import ConfigError
from argusai.settings import load_settings
from argusai.telemetry.exposition import is_loopback, metrics_access
from argusai.telemetry.metrics import (
    forget_dead_processes,
    process_identifier,
    telemetry,
    work_observer,
)


@pytest.mark.parametrize(
    ("token", "authorization", "client", "headers", "expected"),
    [
        ("t0k", "Bearer t0k", "203.0.113.1", {}, 200),
        ("t0k", "bearer t0k", "203.0.113.1", {}, 200),
        ("t0k", "Bearer nope", "127.0.0.1", {}, 401),
        ("t0k", None, "127.0.0.1", {}, 401),
        ("t0k", "Basic t0k", "127.0.0.1", {}, 401),
        (None, None, "127.0.0.1", {}, 200),
        (None, None, "::1", {}, 200),
        (None, None, "::ffff:127.0.0.1", {}, 200),
        (None, None, "127.0.0.1", {"x-forwarded-for": "198.51.100.2"}, 404),
        (None, None, "127.0.0.1", {"forwarded": "for=198.51.100.2"}, 404),
        (None, None, "10.0.0.5", {}, 404),
        (None, None, None, {}, 404),
        (None, "Bearer anything", "203.0.113.1", {}, 404),
    ],
)
def test_metrics_access(
    token: str | None,
    authorization: str | None,
    client: str | None,
    headers: dict[str, str],
    expected: int,
) -> None:
    assert (
        metrics_access(token, authorization=authorization, client=client, headers=headers)
        == expected
    )


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("testclient") and not is_loopback("192.168.1.1")


def _sample(name: str, **labels: str) -> float:
    return telemetry().registry.get_sample_value(name, labels) or 0.0


def test_the_work_observer_counts_runs_and_time_to_done() -> None:
    observe = work_observer(("review",))
    row = SimpleNamespace(created_at=datetime.now(UTC) - timedelta(seconds=42))
    done_before = _sample("argus_work_items_total", kind="review", outcome="done")
    count_before = _sample("argus_work_time_to_done_seconds_count", kind="review")
    sum_before = _sample("argus_work_time_to_done_seconds_sum", kind="review")
    observe("review", row, "done", 1.5)
    observe("review", row, "retry", 0.5)  # not done: no time to done
    observe("scout_issue", row, "done", 0.1)  # not a kind measured from its created_at
    assert _sample("argus_work_items_total", kind="review", outcome="done") == done_before + 1
    assert _sample("argus_work_time_to_done_seconds_count", kind="review") == count_before + 1
    assert 41 <= _sample("argus_work_time_to_done_seconds_sum", kind="review") - sum_before < 60
    assert _sample("argus_work_time_to_done_seconds_count", kind="scout_issue") == 0


def test_skipped_runs_are_counted_without_a_duration() -> None:
    before = _sample("argus_work_run_seconds_count", kind="skiptest")
    work_observer(())("skiptest", None, "skipped", 0.0)
    assert _sample("argus_work_items_total", kind="skiptest", outcome="skipped") >= 1
    assert _sample("argus_work_run_seconds_count", kind="skiptest") == before


def test_metrics_files_are_named_by_host_and_pid() -> None:
    host, _, pid = process_identifier().rpartition("-")
    assert pid == str(os.getpid()) and host and "_" not in host


def test_files_of_dead_processes_of_this_host_go_others_stay(tmp_path: Path) -> None:
    dead_pid = 4_194_304 + 7  # above Linux's largest pid_max: never a live process
    host = process_identifier().rpartition("-")[0]
    mine = tmp_path / f"counter_{host}-{os.getpid()}.db"
    gone = tmp_path / f"histogram_{host}-{dead_pid}.db"
    gauge_gone = tmp_path / f"gauge_mostrecent_{host}-{dead_pid}.db"
    other_host = tmp_path / f"counter_other-container-{dead_pid}.db"
    for file in (mine, gone, gauge_gone, other_host):
        file.write_bytes(b"")
    assert forget_dead_processes(tmp_path) == 2
    assert mine.exists() and other_host.exists()
    assert not gone.exists() and not gauge_gone.exists()


def test_retention_tiers_merge_with_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_RETENTION_ANALYSES_DAYS", "free=14, Pro=0")
    days = load_settings(_env_file=None).retention_analyses_days
    assert days == {"free": 14, "starter": 30, "pro": 0, "enterprise": 365}
    monkeypatch.setenv("ARGUS_RETENTION_ANALYSES_DAYS", '{"custom": 3}')
    assert load_settings(_env_file=None).retention_analyses_days["custom"] == 3


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ARGUS_RETENTION_ANALYSES_DAYS", "free", "ARGUS_RETENTION_ANALYSES_DAYS"),
        ("ARGUS_RETENTION_ANALYSES_DAYS", "free=-1", "ARGUS_RETENTION_ANALYSES_DAYS"),
        ("ARGUS_RETENTION_DELIVERIES_DAYS", "2", "ARGUS_RETENTION_DELIVERIES_DAYS"),
        ("ARGUS_WORKER_STALE_SECONDS", "10", "ARGUS_WORKER_STALE_SECONDS"),
        ("ARGUS_RETENTION_BATCH_SIZE", "0", "ARGUS_RETENTION_BATCH_SIZE"),
    ],
)
def test_bad_operations_settings_name_their_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=named):
        load_settings(_env_file=None)


def test_retention_zero_keeps_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_RETENTION_DELIVERIES_DAYS", "0")
    assert load_settings(_env_file=None).retention_deliveries_days == 0
