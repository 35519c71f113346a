"""Where the shared limiters keep their state: pyrate-limiter buckets + a small pause store.

The backend follows the deployment (see ``Settings.resolved_rate_limit_url``) so every
web and worker process shares one state:

* ``sqlite:///path``: one SQLite file in the data dir (embedded default), one table per
  bucket, writes serialised across processes by a file lock (pyrate-limiter's own).
* ``redis://``: one sorted set per bucket (pyrate-limiter's Lua check-and-insert) and one
  plain key per pause, expiring by itself.
* ``postgresql://`` / ``postgresql+psycopg://``: one table per bucket (pyrate-limiter's
  ``LOCK TABLE … NOWAIT`` check-and-insert) and a ``pauses`` table, all in a schema of
  their own (``argus_limits``) so Alembic never sees them and no migration is needed.
* ``memory://``: in-process only (tests, or a single process that wants no shared state).

One bucket per key (a pyrate-limiter bucket counts every item in it, whatever its name).
A pause is "this installation must not start GitHub work before ``until``" (epoch s).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pyrate_limiter import AbstractBucket, InMemoryBucket, Rate

SCHEMA = "argus_limits"
_UNSAFE = re.compile(r"[^a-z0-9_]+")


def table_name(key: str, max_len: int = 40) -> str:
    """A SQL-safe, collision-free table name for a bucket key."""
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:10]
    stem = _UNSAFE.sub("_", key.lower()).strip("_")[: max_len - 12]
    return f"{stem}_{digest}"


class Backend(Protocol):
    """Buckets and pauses in one shared store."""

    kind: str

    def bucket(self, key: str, rates: list[Rate]) -> AbstractBucket:
        """A new bucket object for ``key`` (state shared with every other process)."""
        ...

    def set_pause(self, key: str, until: float) -> None:
        """Pause ``key`` until ``until`` (epoch seconds); never shortens a longer pause."""
        ...

    def get_pause(self, key: str) -> float | None:
        """The end of ``key``'s pause (epoch seconds), or None."""
        ...

    def clear_pause(self, key: str) -> None:
        """End ``key``'s pause now."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class MemoryBackend:
    """In-process state only."""

    kind = "memory"

    def __init__(self) -> None:
        self._pauses: dict[str, float] = {}
        self._lock = threading.Lock()

    def bucket(self, key: str, rates: list[Rate]) -> AbstractBucket:
        del key
        return InMemoryBucket(rates)

    def set_pause(self, key: str, until: float) -> None:
        with self._lock:
            self._pauses[key] = max(until, self._pauses.get(key, 0.0))

    def get_pause(self, key: str) -> float | None:
        with self._lock:
            return self._pauses.get(key)

    def clear_pause(self, key: str) -> None:
        with self._lock:
            self._pauses.pop(key, None)

    def close(self) -> None:
        pass


class SQLiteBackend:
    """A SQLite file shared by the processes of one machine (the embedded default)."""

    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._buckets: list[AbstractBucket] = []

    def bucket(self, key: str, rates: list[Rate]) -> AbstractBucket:
        from pyrate_limiter import SQLiteBucket

        bucket = SQLiteBucket.init_from_file(
            rates, table=f"rl_{table_name(key)}", db_path=str(self.path), use_file_lock=True
        )
        with self._lock:
            self._buckets.append(bucket)
        return bucket

    def _pauses(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS argus_pauses "
                "(key TEXT PRIMARY KEY, until REAL NOT NULL)"
            )
            conn.commit()
            self._conn = conn
        return self._conn

    def set_pause(self, key: str, until: float) -> None:
        with self._lock:
            conn = self._pauses()
            conn.execute(
                "INSERT INTO argus_pauses (key, until) VALUES (?, ?) ON CONFLICT(key) "
                "DO UPDATE SET until = max(until, excluded.until)",
                (key, until),
            )
            conn.commit()

    def get_pause(self, key: str) -> float | None:
        with self._lock:
            row = (
                self._pauses()
                .execute("SELECT until FROM argus_pauses WHERE key = ?", (key,))
                .fetchone()
            )
        return None if row is None else float(row[0])

    def clear_pause(self, key: str) -> None:
        with self._lock:
            conn = self._pauses()
            conn.execute("DELETE FROM argus_pauses WHERE key = ?", (key,))
            conn.commit()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            buckets, self._buckets = self._buckets, []
        for bucket in buckets:
            bucket.close()


_MAX_PAUSE_LUA = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


class RedisBackend:
    """Redis shared by every process, wherever they run."""

    kind = "redis"

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(
            url, socket_connect_timeout=1.0, socket_timeout=1.0, health_check_interval=30
        )

    def bucket(self, key: str, rates: list[Rate]) -> AbstractBucket:
        from pyrate_limiter import RedisBucket

        bucket = RedisBucket.init(rates, self.client, f"argus:rl:{key}")
        assert isinstance(bucket, RedisBucket)
        return bucket

    def set_pause(self, key: str, until: float) -> None:
        ttl_ms = max(1, int((until - time.time()) * 1000) + 1000)
        self.client.eval(  # type: ignore[no-untyped-call]
            _MAX_PAUSE_LUA, 1, f"argus:pause:{key}", repr(until), ttl_ms
        )

    def get_pause(self, key: str) -> float | None:
        value: Any = self.client.get(f"argus:pause:{key}")
        return None if value is None else float(value)

    def clear_pause(self, key: str) -> None:
        self.client.delete(f"argus:pause:{key}")

    def close(self) -> None:
        self.client.close()


class _Pool:
    """The few methods of ``psycopg_pool.ConnectionPool`` that PostgresBucket uses.

    Connections live in the ``argus_limits`` schema; each ``connection()`` block is
    one transaction (committed on success, rolled back on error).
    """

    def __init__(self, conninfo: str, size: int = 4) -> None:
        self.conninfo = conninfo
        self.size = size
        self.closed = False
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._schema_ready = False

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(self.conninfo, connect_timeout=3, options=f"-c search_path={SCHEMA}")
        if not self._schema_ready:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x41524755,))
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS pauses "
                    "(key text PRIMARY KEY, until double precision NOT NULL)"
                )
            self._schema_ready = True
        return conn

    @contextmanager
    def connection(self) -> Iterator[Any]:
        from psycopg import pq

        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
            if conn.info.transaction_status == pq.TransactionStatus.INERROR:
                conn.rollback()
            else:
                conn.commit()
        except BaseException:
            if not conn.closed:
                try:
                    conn.rollback()
                except Exception:  # noqa: BLE001 - a broken connection is dropped below
                    conn.close()
            raise
        finally:
            keep = not conn.closed and not conn.broken
            with self._lock:
                if keep and not self.closed and len(self._idle) < self.size:
                    self._idle.append(conn)
                    conn = None
            if conn is not None and not conn.closed:
                conn.close()

    def close(self) -> None:
        with self._lock:
            self.closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class PostgresBackend:
    """PostgreSQL shared by every process (the app database, schema ``argus_limits``)."""

    kind = "postgresql"

    def __init__(self, url: str) -> None:
        scheme, rest = url.split("://", 1)
        self.pool = _Pool(f"{scheme.split('+', 1)[0]}://{rest}")

    def bucket(self, key: str, rates: list[Rate]) -> AbstractBucket:
        from pyrate_limiter import PostgresBucket

        return PostgresBucket(self.pool, table_name(key), rates)

    def set_pause(self, key: str, until: float) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO pauses (key, until) VALUES (%s, %s) ON CONFLICT (key) "
                "DO UPDATE SET until = GREATEST(pauses.until, excluded.until)",
                (key, until),
            )

    def get_pause(self, key: str) -> float | None:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT until FROM pauses WHERE key = %s", (key,)).fetchone()
        return None if row is None else float(row[0])

    def clear_pause(self, key: str) -> None:
        with self.pool.connection() as conn:
            conn.execute("DELETE FROM pauses WHERE key = %s", (key,))

    def close(self) -> None:
        self.pool.close()


def open_backend(url: str) -> Backend:
    """The backend for ``url`` (nothing is connected until first use)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryBackend()
    if scheme == "sqlite":
        return SQLiteBackend(Path(url.split(":///", 1)[1] if ":///" in url else "ratelimits.db"))
    if scheme in {"redis", "rediss", "unix"}:
        return RedisBackend(url)
    if scheme.split("+", 1)[0] in {"postgresql", "postgres"}:
        return PostgresBackend(url)
    raise ValueError(
        f"ARGUS_RATE_LIMIT_URL: unsupported scheme {scheme!r} "
        "(use sqlite:///, redis://, postgresql:// or memory://)"
    )
