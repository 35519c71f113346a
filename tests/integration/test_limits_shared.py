"""Limits are shared by every process: two "processes" on SQLite, Redis and PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from argusai.limits import Limits, limits_for
from argusai.review import items as workitems
from argusai.review.items import REVIEWS
from argusai.store.models import Review
from argusai.workq import items
from tests.conftest import make_settings
from tests.support import make_runtime, worker_queue


def _two_limits(tmp_path: Path, **overrides: Any) -> tuple[Limits, Limits]:
    # two Settings objects = two processes' worth of connections and bucket objects
    a = Limits(make_settings(tmp_path, **overrides))
    b = Limits(make_settings(tmp_path, **overrides))
    assert a.backend is not b.backend
    return a, b


def _check_shared(a: Limits, b: Limits) -> None:
    try:
        granted = [lim.reviews.acquire("inst:1") == 0.0 for _ in range(4) for lim in (a, b)]
        assert granted.count(True) == 3  # 3 reviews/minute across both
        a.pauses.pause(5, time.time() + 120, "test")
        assert 110 < b.pauses.remaining(5) <= 120
        written = [lim.github_writes.acquire("inst:9") == 0.0 for _ in range(3) for lim in (a, b)]
        assert written.count(True) == 2
    finally:
        a.close()
        b.close()


def test_sqlite_file_is_shared(tmp_path: Path) -> None:
    a, b = _two_limits(tmp_path, reviews_per_minute_per_installation=3, github_writes_per_minute=2)
    assert a.backend.kind == "sqlite"
    _check_shared(a, b)


def test_redis_is_shared(tmp_path: Path, redis_url: str) -> None:
    a, b = _two_limits(
        tmp_path,
        queue_url=redis_url,
        reviews_per_minute_per_installation=3,
        github_writes_per_minute=2,
    )
    assert a.backend.kind == "redis"
    _check_shared(a, b)


def test_postgresql_is_shared(tmp_path: Path, postgres_url: str) -> None:
    a, b = _two_limits(
        tmp_path,
        database_url=postgres_url,
        reviews_per_minute_per_installation=3,
        github_writes_per_minute=2,
    )
    assert a.backend.kind == "postgresql"
    _check_shared(a, b)


@pytest.mark.parametrize("backend", ["sqlite", "redis+postgresql"])
def test_review_admission_holds_across_two_runtimes(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """Two worker "processes": 2 reviews/minute per installation between them, the rest deferred."""
    overrides: dict[str, Any] = {"reviews_per_minute_per_installation": 2}
    if backend != "sqlite":
        overrides["queue_url"] = request.getfixturevalue("redis_url")
        overrides["database_url"] = request.getfixturevalue("postgres_url")
    s1, s2 = make_settings(tmp_path, **overrides), make_settings(tmp_path, **overrides)
    rt1, rt2 = make_runtime(s1), make_runtime(s2)
    started: list[int] = []

    def fake_process(rt: Any, item: Review) -> None:
        started.append(item.id)
        assert item.lease_owner is not None
        items.finish(rt.db, REVIEWS, item.id, item.lease_owner, "done")

    import argusai.review.job as review_job

    mp = pytest.MonkeyPatch()
    mp.setattr(review_job, "process_review", fake_process)
    try:
        ids = [
            workitems.enqueue_review(
                rt1.db, workitems.ReviewRequest(1, "o/r", n, f"{n:040d}", "test")
            )
            for n in range(1, 7)
        ]
        for i, review_id in enumerate(ids):
            assert review_id is not None
            rt = rt1 if i % 2 == 0 else rt2
            worker_queue(rt).run("review", review_id)
        assert len(started) == 2
        with rt1.db.session() as s:
            rows = [s.get(Review, i) for i in ids]
        deferred = [r for r in rows if r is not None and r.status == "queued"]
        assert len(deferred) == 4 and all(r.attempts == 0 for r in deferred)
        assert all("reviews/minute" in (r.error_message or "") for r in deferred)
    finally:
        mp.undo()
        limits_for(s1).close()
        limits_for(s2).close()
        for rt in (rt1, rt2):
            rt.db.dispose()
