"""Claim a Redis database number for one run, so two runs on one host never collide."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import redis

ADMIN_URL = "redis://127.0.0.1:6379/0"


class NoFreeDatabase(RuntimeError):
    """Every database 1–15 is claimed by another run."""


@contextlib.contextmanager
def claimed_database(ttl_seconds: int = 4 * 3600) -> Iterator[int]:
    """A database 1–15 claimed with ``SET NX`` on a lock key in database 0; flushed on release.

    A run only ever flushes the database it claimed. A crashed run's claim expires.
    """
    admin = redis.Redis.from_url(ADMIN_URL, socket_connect_timeout=3)
    admin.ping()
    token = uuid.uuid4().hex
    try:
        for db in range(1, 16):
            if admin.set(f"argus-tests:db:{db}", token, nx=True, ex=ttl_seconds):
                break
        else:
            raise NoFreeDatabase("all Redis databases 1-15 are claimed by other runs on this host")
        try:
            yield db
        finally:
            if admin.get(f"argus-tests:db:{db}") == token.encode():
                with redis.Redis.from_url(f"redis://127.0.0.1:6379/{db}") as own:
                    own.flushdb()
                admin.delete(f"argus-tests:db:{db}")
    finally:
        admin.close()
