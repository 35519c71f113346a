"""The non-blocking limiter wrapper and its backends (SQLite file, memory, Redis, PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pyrate_limiter import Rate

from argusai.errors import GitHubRateLimited
from argusai.limits import Limits, RateLimiter, open_backend
from argusai.limits.backend import Backend, SQLiteBackend, table_name
from argusai.limits.github import GitHubGuard
from tests.conftest import make_settings


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    backend = open_backend(f"sqlite:///{tmp_path / 'rl.db'}")
    yield backend
    backend.close()


def test_acquire_grants_up_to_the_limit_then_returns_the_wait(sqlite_backend: Backend) -> None:
    limiter = RateLimiter(sqlite_backend, "t", [Rate(3, 60_000)])
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    started = time.monotonic()
    wait = limiter.acquire("k")
    assert time.monotonic() - started < 0.5  # never sleeps
    assert 59.0 < wait <= 60.1
    assert limiter.acquire("other-key") == 0.0  # one bucket per key


def test_a_refused_acquire_takes_nothing(tmp_path: Path) -> None:
    backend = open_backend("memory://")
    limiter = RateLimiter(backend, "t", [Rate(1, 300)])
    assert limiter.acquire("k") == 0.0
    for _ in range(5):
        assert limiter.acquire("k") > 0
    time.sleep(0.35)
    assert limiter.acquire("k") == 0.0  # refusals did not extend the window


def test_both_rates_apply(sqlite_backend: Backend) -> None:
    limiter = RateLimiter(sqlite_backend, "t", [Rate(2, 200), Rate(3, 60_000)])
    assert limiter.acquire("k") == 0.0 and limiter.acquire("k") == 0.0
    assert 0 < limiter.acquire("k") <= 0.25  # the short window
    time.sleep(0.25)
    assert limiter.acquire("k") == 0.0
    time.sleep(0.25)
    assert limiter.acquire("k") > 59  # the long window


def test_zero_means_no_limit(tmp_path: Path) -> None:
    limits = Limits(
        make_settings(tmp_path, rate_limit_url="memory://", reviews_per_minute_per_installation=0)
    )
    assert not limits.reviews.enabled
    assert all(limits.admit_review(1) is None for _ in range(100))


def test_unreachable_rates_are_dropped() -> None:
    from argusai.limits.limiter import normalize

    def pairs(rates: list[Rate]) -> list[tuple[int, int]]:
        return [(r.limit, r.interval) for r in normalize(rates)]

    assert pairs([Rate(500, 3_600_000), Rate(2, 60_000)]) == [(2, 60_000)]
    assert pairs([Rate(80, 60_000), Rate(500, 3_600_000)]) == [(80, 60_000), (500, 3_600_000)]
    assert pairs([Rate(80, 60_000), Rate(50, 3_600_000)]) == [(50, 3_600_000)]


def test_two_processes_share_the_sqlite_file(tmp_path: Path) -> None:
    """Two backends on one file (as two processes would open it) share the count."""
    url = f"sqlite:///{tmp_path / 'rl.db'}"
    a, b = open_backend(url), open_backend(url)
    try:
        la = RateLimiter(a, "t", [Rate(4, 60_000)])
        lb = RateLimiter(b, "t", [Rate(4, 60_000)])
        granted = [lim.acquire("k") == 0.0 for _ in range(3) for lim in (la, lb)]
        assert granted.count(True) == 4
    finally:
        a.close()
        b.close()


def test_threads_never_exceed_the_limit(sqlite_backend: Backend) -> None:
    limiter = RateLimiter(sqlite_backend, "t", [Rate(10, 60_000)])
    results: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(5):
            wait = limiter.acquire("k")
            with lock:
                results.append(wait)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 30 and results.count(0.0) == 10


def test_backend_failure_fails_open_and_cools_down(tmp_path: Path) -> None:
    class Broken(SQLiteBackend):
        calls = 0

        def bucket(self, key: str, rates: list[Rate]):  # type: ignore[no-untyped-def]
            Broken.calls += 1
            raise OSError("backend down")

    limiter = RateLimiter(Broken(tmp_path / "x.db"), "t", [Rate(1, 60_000)], cooldown=60)
    assert limiter.acquire("k") == 0.0 and limiter.acquire("k") == 0.0
    assert Broken.calls == 1  # the second call did not touch the broken backend


def test_pauses_keep_the_longest_and_expire(sqlite_backend: Backend, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    limits = Limits(settings, backend=sqlite_backend)
    limits.pauses.pause(7, time.time() + 100, "test")
    limits.pauses.pause(7, time.time() + 10, "shorter")
    assert 95 < limits.pauses.remaining(7) <= 100
    assert limits.pauses.remaining(8) == 0.0
    # another process sees it
    other = Limits(settings, backend=open_backend(f"sqlite:///{tmp_path / 'rl.db'}"))
    try:
        assert other.pauses.remaining(7) > 95
        other.pauses.resume(7)
    finally:
        other.close()
    limits.pauses.resume(7)
    assert limits.pauses.remaining(7) == 0.0


def test_table_names_are_safe_and_distinct() -> None:
    a, b = table_name("gh-writes:inst:1"), table_name("gh_writes:inst:1")
    assert a != b and a.replace("_", "").isalnum() and len(a) <= 40


def test_settings_pick_the_backend_of_the_deployment(tmp_path: Path) -> None:
    s = make_settings(tmp_path)
    assert s.resolved_rate_limit_url().startswith(
        "sqlite:///"
    ) and s.resolved_rate_limit_url().endswith("ratelimits.db")
    assert make_settings(tmp_path, queue_url="redis://h:6379/0").resolved_rate_limit_url() == (
        "redis://h:6379/0"
    )
    pg = "postgresql+psycopg://u@h/db"
    assert make_settings(tmp_path, database_url=pg).resolved_rate_limit_url() == pg
    assert (
        make_settings(tmp_path, queue_url="postgresql://u@h/q").resolved_rate_limit_url()
        == "postgresql://u@h/q"
    )
    assert (
        make_settings(
            tmp_path, queue_url="redis://h", rate_limit_url="memory://"
        ).resolved_rate_limit_url()
        == "memory://"
    )
    with pytest.raises(ValueError, match="ARGUS_RATE_LIMIT_URL"):
        open_backend("ftp://x")


def _guard(tmp_path: Path, **overrides: object) -> GitHubGuard:
    settings = make_settings(tmp_path, rate_limit_url="memory://", **overrides)
    return GitHubGuard(Limits(settings))


def test_guard_paces_writes_only(tmp_path: Path) -> None:
    guard = _guard(tmp_path, github_writes_per_minute=2, github_max_pacing_wait_seconds=0)
    for _ in range(5):
        guard.before_request(1, "GET", "/repos/o/r/pulls/1")
    guard.before_request(1, "POST", "/repos/o/r/issues/1/comments")
    guard.before_request(1, "PATCH", "/repos/o/r/issues/comments/9")
    with pytest.raises(GitHubRateLimited) as info:
        guard.before_request(1, "POST", "/repos/o/r/pulls/1/reviews")
    assert info.value.retry_after is not None and 55 < info.value.retry_after <= 60.1
    assert info.value.reset_at is None
    guard.before_request(2, "POST", "/repos/o/r2/pulls/1/reviews")  # per installation


def test_guard_waits_inline_for_a_short_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argusai.limits.policy as policy

    monkeypatch.setattr(policy, "MINUTE", 0.3)
    guard = _guard(tmp_path, github_writes_per_minute=1, github_max_pacing_wait_seconds=2)
    guard.before_request(1, "POST", "/x")
    started = time.monotonic()
    guard.before_request(1, "POST", "/x")
    assert 0.2 < time.monotonic() - started < 1.5


def _response(status: int, headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(status, headers=headers, request=httpx.Request("GET", "http://gh/x"))


def test_guard_pauses_on_low_remaining_and_on_retry_after(tmp_path: Path) -> None:
    guard = _guard(tmp_path, github_min_rate_limit_remaining=50)
    reset = int(time.time()) + 600
    guard.observe(
        1, _response(200, {"x-ratelimit-remaining": "51", "x-ratelimit-reset": str(reset)})
    )
    assert guard.limits.pauses.remaining(1) == 0.0
    guard.observe(
        1, _response(200, {"x-ratelimit-remaining": "50", "x-ratelimit-reset": str(reset)})
    )
    assert 590 < guard.limits.pauses.remaining(1) <= 600
    # secondary: retry-after wins over an hour-away reset header
    guard.observe(
        2,
        _response(
            429,
            {"retry-after": "30", "x-ratelimit-remaining": "4000", "x-ratelimit-reset": str(reset)},
        ),
    )
    assert 25 < guard.limits.pauses.remaining(2) <= 31
    guard.observe(3, _response(200, {"x-ratelimit-remaining": "garbage"}))
    assert guard.limits.pauses.remaining(3) == 0.0
