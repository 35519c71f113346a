"""Per-minute limits per tenant, aggregated audit of repeatable failures, forwarded IPs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from argusai.ciapi import apikeys, audit
from argusai.ciapi.guard import flush_repeated
from argusai.ciapi.models import AuditLog
from argusai.store.db import Database
from argusai.store.migrate import upgrade
from tests.fakes.fake_llm import FakeLLMServer
from tests.integration.live_server import live_server
from tests.integration.test_ci_api import ANSWER, SMALL, Env, _env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        yield _env(tmp_path, fake)


def _rows(env: Env, action: str) -> list[AuditLog]:
    with env.rt.db.session() as s:
        return list(s.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_the_per_minute_limit_is_the_tenants_not_each_keys(env: Env) -> None:
    keys = [env.keys["globex"], apikeys.create_key(env.rt.db, "globex", "second").key]
    codes = [
        env.client.post(
            "/v1/analyses", json={"logs": SMALL}, headers={"X-API-Key": keys[i % 2]}
        ).status_code
        for i in range(12)
    ]
    assert codes == [200] * 10 + [429, 429]  # free: 10/minute for the organisation
    # another tenant is not affected
    other = env.client.post(
        "/v1/analyses", json={"logs": SMALL}, headers={"X-API-Key": env.keys["acme"]}
    )
    assert other.status_code == 200 and other.headers["X-RateLimit-Remaining"] == "99"
    flush_repeated(env.rt)
    rows = _rows(env, "ratelimit.exceeded")  # two refusals, one row (two if the minute turned)
    assert len(rows) <= 2 and sum((r.changes or {})["count"] for r in rows) == 2


def test_failed_authentications_are_audited_one_row_per_source_and_minute(env: Env) -> None:
    for i in range(60):
        bad = {"X-API-Key": f"argus_nope_{i}"} if i % 2 else {}
        assert env.client.get("/v1/analyses", headers=bad).status_code == 401
    flush_repeated(env.rt)
    rows = _rows(env, "auth.failed")
    # one row per minute: two if the minute turned during the test
    assert 1 <= len(rows) <= 2
    assert sum((r.changes or {})["count"] for r in rows) == 60
    assert {r.ip_address for r in rows} == {"testclient"}


# ---- the aggregation itself, on a clock of the test's own ----------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0  # a minute boundary

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'audit.db'}")
    upgrade(database.engine)
    yield database
    database.dispose()


def _all(db: Database) -> list[tuple[str | None, int, Any]]:
    with db.session() as s:
        rows = s.scalars(select(AuditLog).order_by(AuditLog.id))
        return [
            (r.ip_address, (r.changes or {})["count"], (r.changes or {}).get("sources"))
            for r in rows
        ]


def test_aggregated_counts_flushes_and_turns_windows(db: Database) -> None:
    clock = Clock()
    agg = audit.Aggregated(clock=clock, flush_every=5.0)
    a, b = audit.Actor(ip="198.51.100.1"), audit.Actor(ip="198.51.100.2")
    for _ in range(3):
        agg.record(db, tenant_id=None, action="auth.failed", actor=a)
    agg.record(db, tenant_id=None, action="auth.failed", actor=b)
    # written at 1 and 2 (powers of two); the third only counted so far
    assert _all(db) == [("198.51.100.1", 2, None), ("198.51.100.2", 1, None)]
    clock.now += 5
    for _ in range(2):
        agg.record(db, tenant_id=None, action="auth.failed", actor=a)
    assert _all(db)[0] == ("198.51.100.1", 4, None)  # 4 (a power of two) written, 5 not
    clock.now += 1
    agg.record(db, tenant_id=None, action="auth.failed", actor=a)
    assert _all(db)[0] == ("198.51.100.1", 4, None)  # 6: not due (1 s after the last write)
    clock.now += 5
    agg.record(db, tenant_id=None, action="auth.failed", actor=a)
    assert _all(db)[0] == ("198.51.100.1", 7, None)  # 7: due, 5 s after the last write
    clock.now += 60  # next window: the old rows get their final counts, a new row starts
    agg.record(db, tenant_id=None, action="auth.failed", actor=b)
    assert _all(db) == [
        ("198.51.100.1", 7, None),
        ("198.51.100.2", 1, None),
        ("198.51.100.2", 1, None),
    ]


def test_aggregated_folds_many_sources_into_one_row(db: Database) -> None:
    agg = audit.Aggregated(clock=Clock(), max_rows=3)
    for i in range(100):
        ip = f"10.0.0.{i % 50}"
        agg.record(db, tenant_id=None, action="auth.failed", actor=audit.Actor(ip=ip))
    agg.flush(db)
    rows = _all(db)
    assert len(rows) == 4  # three sources of their own, then one row for the rest
    assert rows[:3] == [(f"10.0.0.{i}", 2, None) for i in range(3)]
    assert rows[3] == (None, 94, 47)  # 94 failures from 47 other addresses


# ---- X-Forwarded-For only from trusted proxies -----------------------------------------


@pytest.mark.parametrize(
    ("trusted", "expected"), [((), "127.0.0.1"), (("127.0.0.0/8",), "203.0.113.9")]
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    tmp_path: Path, trusted: tuple[str, ...], expected: str
) -> None:
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        env = _env(tmp_path, fake, trusted_proxies=trusted)
        with live_server(env.rt) as url:
            forwarded = {"X-Forwarded-For": "203.0.113.9", "X-API-Key": env.keys["acme"]}
            assert httpx.get(url + "/v1/analyses", headers=forwarded).status_code == 200
            assert httpx.get(url + "/v1/analyses", headers={"X-Forwarded-For": "203.0.113.9"})
    (listed,) = _rows(env, "analysis.list")
    assert listed.ip_address == expected
    flush_repeated(env.rt)
    (failed,) = _rows(env, "auth.failed")
    assert failed.ip_address == expected
