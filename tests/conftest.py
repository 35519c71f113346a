"""Shared fixtures: loopback-only sockets, settings in a temp data dir, service URLs."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from argusai.settings import Settings

if TYPE_CHECKING:
    from tests.support.world import FakeWorld

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
LOOPBACK = {"127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"}

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _guard(sock: socket.socket, address: Any) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else address
        if host not in LOOPBACK:
            raise RuntimeError(f"test tried to reach the network: {host!r} (only loopback allowed)")


def _connect(self: socket.socket, address: Any) -> None:
    _guard(self, address)
    _real_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    _guard(self, address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ARGUS_* or GITHUB_TOKEN from the developer's shell or a .env leaks into tests."""
    for key in list(os.environ):
        if (key.startswith("ARGUS_") and key != "ARGUS_REQUIRE_SERVICES") or key == "GITHUB_TOKEN":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """CLI tests configure logging onto streams that close; undo it after each test."""
    import logging

    import structlog

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _fresh_llm_breakers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with closed circuit breakers (they are process-wide in production)."""
    import argusai.llm.breaker as breaker

    monkeypatch.setattr(breaker, "_shared", None)


@pytest.fixture(autouse=True)
def _fresh_repository_file_cache() -> None:
    """Each test starts without the review's short cache of contribution guides and
    secrets baselines (fake repositories of different tests share names)."""
    from argusai.review import job_inputs

    job_inputs._guide_cache.clear()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with everything under ``tmp_path`` (no .env read)."""
    values: dict[str, Any] = {"data_dir": tmp_path / "data", "log_format": "json"}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[..., FakeWorld]]:
    """Build the fake world (tests/support/world.py) with settings overrides; closed at the end."""
    # imported here: the world uses make_settings from this module
    from tests.support.world import open_world

    built: list[FakeWorld] = []
    with ExitStack() as stack:

        def make(**overrides: Any) -> FakeWorld:
            root = tmp_path / f"world-{len(built)}" if built else tmp_path  # own data dir each
            built.append(stack.enter_context(open_world(root, **overrides)))
            return built[-1]

        yield make


def _service_or_skip(name: str, check: Any) -> None:
    try:
        check()
    except Exception as exc:
        reason = f"{name} not reachable on 127.0.0.1 ({type(exc).__name__}: {exc})"
        if os.environ.get("ARGUS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"ARGUS_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test (dropped afterwards)."""
    import uuid

    import psycopg

    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    _service_or_skip("PostgreSQL", lambda: psycopg.connect(admin, connect_timeout=3).close())
    name = f"argus_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def _redis_db() -> Iterator[int]:
    """A Redis database number claimed by this test run alone (see tests/redis_claim.py).

    Two runs on one host (two checkouts, CI beside a developer) must not flush each
    other's data: each run claims a free database and only ever flushes its own.
    """
    import redis

    from tests.redis_claim import claimed_database

    _service_or_skip("Redis", redis.Redis.from_url("redis://127.0.0.1:6379/0").ping)
    with claimed_database() as db:
        yield db


@pytest.fixture
def redis_url(_redis_db: int) -> Iterator[str]:
    """This run's own Redis database, flushed before and after the test."""
    import redis

    url = f"redis://127.0.0.1:6379/{_redis_db}"
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    _service_or_skip("Redis", client.ping)
    client.flushdb()
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def shared_path(*parts: str) -> Path:
    """A path in ../shared, skipping the test with a reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} absent: the shared reference data sits beside the checkout in CI")
    return path
