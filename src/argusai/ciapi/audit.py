"""The audit trail: one row per action on the analysis API (who, what, from where, when).

Actions an unauthenticated or over-limit client can repeat at will are aggregated
(``Aggregated``): one row per source and minute with a count, so a probe cannot fill
the table.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from argusai.ciapi.models import AuditLog
from argusai.store.db import Database


@dataclass(frozen=True, slots=True)
class Actor:
    """Where a request came from (the CLI is an actor too)."""

    ip: str | None = None
    user_agent: str | None = None


CLI = Actor(ip=None, user_agent="argus-cli")


def record(
    s: Session,
    *,
    tenant_id: str | None,
    action: str,
    actor: Actor,
    resource_type: str | None = None,
    resource_id: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the session (written with the action's own transaction)."""
    s.add(
        AuditLog(
            tenant_id=tenant_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            changes=changes,
            ip_address=(actor.ip or None) and actor.ip[:64],
            user_agent=(actor.user_agent or None) and actor.user_agent[:500],
        )
    )


MAX_SOURCES = 10_000  # distinct addresses remembered for a folded row (then it says 10000)


@dataclass(slots=True)
class _Open:
    """The row of one (action, tenant, IP) in the current window, and its count so far."""

    row_id: int
    window: int
    count: int
    written: int
    flushed_at: float


class Aggregated:
    """At most one audit row per (action, tenant, client IP) and minute, with a ``count``.

    For actions anyone can cause at any rate (``auth.failed``, ``ratelimit.exceeded``):
    the first occurrence in a window inserts a row (``changes = {"count": 1, "window":
    …}``); later ones count in memory, and the row's count is rewritten when it reaches a
    power of two or ``flush_every`` seconds after the last write (so O(log n) writes for
    a burst of n), and once more when its window has passed (on the next call, or
    ``flush`` at shutdown). Past ``max_rows`` rows in one window (a probe from many
    addresses), further sources are folded into one row per action and tenant with no IP
    (``"sources"``: how many distinct addresses). State is per process: each web process
    writes its own rows.
    """

    def __init__(
        self,
        *,
        window: float = 60.0,
        flush_every: float = 5.0,
        max_rows: int = 100,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window, self.flush_every, self.max_rows = window, flush_every, max_rows
        self.clock = clock
        self._open: dict[tuple[str, str | None, str | None], _Open] = {}
        self._sources: dict[tuple[str, str | None], set[str | None]] = {}
        self._rows_in_window = 0
        self._current = -1
        # inserts and count updates run under the lock: two threads never insert the same
        # key twice, and a count never goes backwards
        self._lock = threading.Lock()

    def record(self, db: Database, *, tenant_id: str | None, action: str, actor: Actor) -> None:
        """Count one occurrence; write a row or a new count only when due."""
        now = self.clock()
        window = int(now // self.window)
        with self._lock:
            if window != self._current:
                self._close_windows(db, window)
            key: tuple[str, str | None, str | None] = (action, tenant_id, actor.ip)
            if key not in self._open and self._rows_in_window >= self.max_rows:
                key = (action, tenant_id, None)
                folded = True
            else:
                folded = False
            if folded:
                sources = self._sources.setdefault((action, tenant_id), set())
                if len(sources) < MAX_SOURCES:
                    sources.add(actor.ip)
            entry = self._open.get(key)
            if entry is None:
                self._insert(db, key, actor, window, now)
                return
            entry.count += 1
            # due every flush_every seconds, and at each power of two: a burst that stops
            # never leaves its row showing less than half of it
            power_of_two = entry.count & (entry.count - 1) == 0
            if power_of_two or now - entry.flushed_at >= self.flush_every:
                self._write_count(db, key, entry, now)

    def flush(self, db: Database) -> None:
        """Write every pending count now (shutdown, tests)."""
        with self._lock:
            now = self.clock()
            for key, entry in self._open.items():
                if entry.count != entry.written:
                    self._write_count(db, key, entry, now)

    def _close_windows(self, db: Database, window: int) -> None:
        now = self.clock()
        for key, entry in self._open.items():
            if entry.count != entry.written:
                self._write_count(db, key, entry, now)
        self._open.clear()
        self._sources.clear()
        self._rows_in_window = 0
        self._current = window

    def _changes(self, key: tuple[str, str | None, str | None], entry: _Open) -> dict[str, Any]:
        started = datetime.fromtimestamp(entry.window * self.window, UTC)
        changes: dict[str, Any] = {"count": entry.count, "window": started.isoformat()}
        if key[2] is None and (key[0], key[1]) in self._sources:
            changes["sources"] = len(self._sources[(key[0], key[1])])
        return changes

    def _insert(
        self,
        db: Database,
        key: tuple[str, str | None, str | None],
        actor: Actor,
        window: int,
        now: float,
    ) -> None:
        entry = _Open(row_id=0, window=window, count=1, written=1, flushed_at=now)
        with db.session() as s:
            row = AuditLog(
                tenant_id=key[1],
                action=key[0],
                changes=self._changes(key, entry),
                ip_address=(key[2] or None) and key[2][:64],
                user_agent=(actor.user_agent or None) and actor.user_agent[:500],
            )
            s.add(row)
            s.flush()
            entry.row_id = row.id
        self._open[key] = entry
        self._rows_in_window += 1

    def _write_count(
        self, db: Database, key: tuple[str, str | None, str | None], entry: _Open, now: float
    ) -> None:
        with db.session() as s:
            s.execute(
                update(AuditLog)
                .where(AuditLog.id == entry.row_id)
                .values(changes=self._changes(key, entry))
                .execution_options(synchronize_session=False)
            )
        entry.written, entry.flushed_at = entry.count, now
