"""Faults on the real servers: scale-out, SIGKILL mid-review, queue / database outages, migrations.

Real ``argus`` processes (``serve --no-worker`` and ``worker``) share a fresh PostgreSQL
database and a Redis database (or Huey's PostgreSQL storage) with FakeGitHub and
FakeLLMServer running in this process. The invariant checked everywhere: every accepted
pull request gets exactly one review and one summary comment, and its row ends 'done'.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic.script import ScriptDirectory

from argusai.store.migrate import alembic_config
from argusai.workq.huey import create_huey
from tests.services.harness import (
    TcpProxy,
    World,
    plain_dsn,
    private_redis,
    review_rows,
    sql,
    wait_for,
    with_port,
)

pytestmark = [pytest.mark.services, pytest.mark.timeout(90)]

LEASE = 5  # seconds (the settings minimum); heartbeats every LEASE/3 keep a live review
FAST = {"ARGUS_JOB_LEASE_SECONDS": str(LEASE), "ARGUS_SWEEPER_INTERVAL_SECONDS": "1"}


def _exactly_once(world: World, numbers: list[int], database_url: str, settle: float = 1.5) -> None:
    """Wait for a summary on every PR, give duplicates a chance to show, then check."""
    wait_for(
        lambda: all(world.summaries(n) for n in numbers),
        30,
        f"a summary on each of {len(numbers)} PRs",
        step=0.2,
    )
    time.sleep(settle)
    reviews = {n: world.reviews(n) for n in numbers}
    summaries = {n: world.summaries(n) for n in numbers}
    assert {n: c for n, c in reviews.items() if c != 1} == {}, "reviews per PR"
    assert {n: c for n, c in summaries.items() if c != 1} == {}, "summaries per PR"
    rows = review_rows(database_url)
    assert sorted(rows) == sorted(numbers)
    assert {n: r for n, r in rows.items() if r[0] != "done"} == {}


# --------------------------------------------------------------------------- a. scale-out


def _queue_url(queue: str, postgres_url: str, redis_url: str) -> str:
    return redis_url if queue == "redis" else plain_dsn(postgres_url)  # Huey's PG storage


@pytest.mark.parametrize("queue", ["redis", "postgresql"])
def test_scale_out_two_workers_review_each_pr_exactly_once(
    postgres_url: str, redis_url: str, world: World, queue: str
) -> None:
    n = 20
    world.procs.env.update(
        {
            "ARGUS_DATABASE_URL": postgres_url,
            "ARGUS_QUEUE_URL": _queue_url(queue, postgres_url, redis_url),
            "ARGUS_WORKER_THREADS": "2",
            **FAST,
        }
    )
    world.llm.latency = 0.3  # so that the work spreads over both workers
    web = world.procs.web()
    world.procs.wait_web(web)
    workers = [world.procs.worker(), world.procs.worker()]
    for w in workers:
        world.procs.wait_worker(w)
    numbers = list(range(1, n + 1))
    world.add_prs(numbers)
    assert web.url is not None
    statuses = [world.deliver(web.url, i).status_code for i in numbers]
    assert statuses == [202] * n

    _exactly_once(world, numbers, postgres_url)
    assert world.llm_calls() == n
    posted = [w.count('"review posted"') for w in workers]
    assert sum(posted) == n and all(posted), posted


@pytest.mark.parametrize("queue", ["redis", "postgresql"])
def test_web_and_workers_started_together_on_a_fresh_database_all_come_up(
    postgres_url: str, redis_url: str, world: World, queue: str
) -> None:
    """As a compose file starts them: one web and three workers at the same moment."""
    world.procs.env.update(
        {
            "ARGUS_DATABASE_URL": postgres_url,
            "ARGUS_QUEUE_URL": _queue_url(queue, postgres_url, redis_url),
        }
    )
    web = world.procs.web()
    workers = [world.procs.worker() for _ in range(3)]
    world.procs.wait_web(web)
    for w in workers:
        world.procs.wait_worker(w)
    world.add_prs([1])
    assert web.url is not None
    assert world.deliver(web.url, 1).status_code == 202
    _exactly_once(world, [1], postgres_url, settle=0.5)


# --------------------------------------------------------------------------- b. SIGKILL


def test_worker_sigkilled_mid_review_is_redone_once_by_another(
    postgres_url: str, redis_url: str, world: World
) -> None:
    world.procs.env.update(
        {"ARGUS_DATABASE_URL": postgres_url, "ARGUS_QUEUE_URL": redis_url, **FAST}
    )
    world.llm.latency = 3.0
    web, first = world.procs.web(), world.procs.worker()
    world.procs.wait_web(web)
    world.procs.wait_worker(first)
    world.add_prs([7])
    assert web.url is not None
    assert world.deliver(web.url, 7).status_code == 202

    wait_for(lambda: world.llm_calls() >= 1, 15, "the LLM call of the review")
    assert review_rows(postgres_url)[7] == ("running", 1)
    world.procs.kill(first)  # SIGKILL: no cleanup, the lease just stops being extended
    killed_at = time.monotonic()
    second = world.procs.worker()

    # lease (5 s) + sweeper (1 s) + LLM (3 s) + worker start-up
    wait_for(lambda: world.summaries(7), LEASE + 25, "the review redone by the second worker")
    took = time.monotonic() - killed_at
    time.sleep(1.5)
    assert (world.reviews(7), world.summaries(7)) == (1, 1)
    assert review_rows(postgres_url)[7] == ("done", 2)
    assert world.llm_calls() == 2
    assert second.count('"review posted"') == 1
    assert took < LEASE + 25


# --------------------------------------------------------------------------- c. outages


@pytest.mark.parametrize("appendonly", [True, False], ids=["aof", "no-persistence"])
def test_redis_restart_between_enqueue_and_execution(
    postgres_url: str, world: World, tmp_path: Path, appendonly: bool
) -> None:
    with private_redis(tmp_path / "redis", appendonly=appendonly) as redis_server:
        world.procs.env.update(
            {"ARGUS_DATABASE_URL": postgres_url, "ARGUS_QUEUE_URL": redis_server.url, **FAST}
        )
        web = world.procs.web()
        world.procs.wait_web(web)
        assert web.url is not None
        world.add_prs([1, 2, 3])
        assert world.deliver(web.url, 1).json()["status"] == "queued"  # no worker yet
        huey = create_huey(redis_server.url)
        assert huey.pending_count() == 1

        redis_server.stop()
        # the queue is down: the delivery is still stored and answered 202
        down = world.deliver(web.url, 2)
        assert (down.status_code, down.json()["status"]) == (202, "queued")
        redis_server.start()

        assert huey.pending_count() == (1 if appendonly else 0)
        if not appendonly:
            # the message is gone, the row is not: once the sweeper's re-dispatch delay
            # (tasks.REDISPATCH_AFTER, 5 min) has passed it sends it again; age the row
            # instead of waiting
            sql(
                postgres_url,
                "UPDATE reviews SET dispatched_at = %s WHERE pr_number = 1",
                (datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=10),),
            )
        # the web talks to the restarted Redis again
        assert world.deliver(web.url, 3).json()["status"] == "queued"
        worker = world.procs.worker()
        world.procs.wait_worker(worker)
        _exactly_once(world, [1, 2, 3], postgres_url)
        assert world.llm_calls() == 3


def test_database_outage_webhook_503_then_work_completes(
    postgres_url: str, redis_url: str, world: World
) -> None:
    proxy = TcpProxy(5432)
    proxy.restore()
    try:
        via_proxy = with_port(postgres_url, proxy.port)
        world.procs.env.update(
            {"ARGUS_DATABASE_URL": via_proxy, "ARGUS_QUEUE_URL": redis_url, **FAST}
        )
        web = world.procs.web()
        world.procs.wait_web(web)
        assert web.url is not None
        world.add_prs([1, 2, 3])
        assert world.deliver(web.url, 1).json()["status"] == "queued"

        proxy.cut()  # the database is gone for the processes
        refused = world.deliver(web.url, 2, delivery_id="failed-delivery")
        assert refused.status_code == 503  # GitHub records a failed delivery
        assert "Traceback" not in refused.text
        proxy.restore()

        # GitHub's redelivery of the same delivery id is accepted now
        again = world.deliver(web.url, 2, delivery_id="failed-delivery")
        assert (again.status_code, again.json()["status"]) == (202, "queued")
        worker = world.procs.worker()
        world.procs.wait_worker(worker)
        _exactly_once(world, [1, 2], postgres_url)

        # an outage in the middle of a review: heartbeats and writes fail for a while
        world.llm.latency = 2.0
        assert world.deliver(web.url, 3).status_code == 202
        wait_for(lambda: world.llm_calls() >= 3, 15, "the third review's LLM call")
        proxy.cut()
        time.sleep(3)
        proxy.restore()
        _exactly_once(world, [1, 2, 3], postgres_url)
    finally:
        proxy.cut()


# --------------------------------------------------------------------------- d. migrations


def test_concurrent_db_upgrade_runs_migrations_once(
    postgres_url: str, world: World, tmp_path: Path
) -> None:
    env = {**world.procs.env, "ARGUS_DATABASE_URL": postgres_url}
    full = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")} | env
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "argusai", "db", "upgrade"],
            env=full,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    try:
        outputs = [p.communicate(timeout=60)[0].decode(errors="replace") for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    head = ScriptDirectory.from_config(alembic_config(postgres_url)).get_current_head()
    with psycopg.connect(plain_dsn(postgres_url)) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert versions == [(head,)]


def test_queue_storage_created_concurrently_on_a_fresh_postgres_database(
    postgres_url: str,
) -> None:
    """Every process builds its Huey at start-up; on PostgreSQL that creates Huey's tables.

    Processes starting together (compose, a rollout) must not fail on each other's
    ``CREATE TABLE IF NOT EXISTS`` (PostgreSQL raises UniqueViolation on pg_type then).
    """
    import threading

    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def build() -> None:
        barrier.wait()
        try:
            create_huey(plain_dsn(postgres_url)).storage.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [f"{type(e).__name__}: {e}" for e in errors] == []
