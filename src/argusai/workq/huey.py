"""The Huey instance, built from ``ARGUS_QUEUE_URL``: SQLite file, Redis or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huey import Huey, PostgresHuey, RedisHuey
from huey.storage import SqliteStorage
from sqlalchemy.engine import make_url

from argusai.errors import ConfigError
from argusai.store.db import create_private_file

QUEUE_NAME = "argus"


class _QueueFileStorage(SqliteStorage):  # type: ignore[misc]
    """Huey's SQLite storage in WAL mode with ``synchronous=NORMAL``.

    Huey leaves SQLite at FULL (an fsync per enqueue: 0.5–6 ms here, the largest part of
    a webhook's time). NORMAL in WAL mode survives a process crash; on power loss the last
    messages may be lost, and the sweeper re-dispatches their items from the database.
    """

    def _create_connection(self) -> Any:
        conn = super()._create_connection()
        conn.execute("pragma synchronous=1")
        return conn


def create_huey(queue_url: str, *, immediate: bool = False) -> Huey:
    """A Huey for ``queue_url`` (``sqlite:///…``, ``redis://…``, ``postgresql://…``)."""
    scheme = queue_url.split(":", 1)[0].lower()
    if scheme == "sqlite":
        path = make_url(queue_url).database
        if not path:
            raise ConfigError("ARGUS_QUEUE_URL: a sqlite URL needs a file path")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        create_private_file(path)  # owner-only like the database; -wal/-shm copy the mode
        return Huey(
            QUEUE_NAME,
            storage_class=_QueueFileStorage,
            filename=path,
            results=False,
            immediate=immediate,
            timeout=30,
        )
    if scheme in {"redis", "rediss"}:
        return RedisHuey(QUEUE_NAME, url=queue_url, results=False, immediate=immediate)
    if scheme.startswith("postgres"):
        dsn = queue_url.replace("postgresql+psycopg://", "postgresql://", 1)
        huey = PostgresHuey(
            QUEUE_NAME, dsn=dsn, results=False, immediate=immediate, create_tables=False
        )
        _create_postgres_queue_tables(huey, dsn)
        return huey
    raise ConfigError(
        f"ARGUS_QUEUE_URL: unsupported scheme {scheme!r} (use sqlite:///, redis:// or postgresql://)"
    )


def _create_postgres_queue_tables(huey: Huey, dsn: str) -> None:
    """Huey's tables, created by one process at a time.

    Huey's own ``CREATE TABLE IF NOT EXISTS`` races when several processes start on a fresh
    database (PostgreSQL raises a unique violation on its type catalogue).
    """
    import psycopg

    with psycopg.connect(dsn) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(7411620002)")
        for statement in huey.storage.ddl:
            conn.execute(statement)


def queue_ping(huey: Huey) -> int:
    """Queue length; raises when the storage cannot be reached (readiness check)."""
    return int(huey.pending_count())
