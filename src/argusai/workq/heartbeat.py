"""A running item's heartbeat: pushes its lease forward while the worker is alive."""

from __future__ import annotations

import threading
from typing import Any, Self

import structlog

from argusai.core.closing import ClosesOnExit
from argusai.store.db import Database
from argusai.workq import items
from argusai.workq.table import WorkTable

log = structlog.get_logger(__name__)


class Heartbeat(ClosesOnExit):
    """Context manager: every lease/3 seconds extend the lease; stop on exit.

    If the worker dies, the beats stop, the lease runs out and the sweeper hands the item
    to another worker; if the lease was taken over meanwhile, ``lost`` becomes True.
    """

    def __init__(
        self, db: Database, table: WorkTable, item_id: Any, lease_seconds: int, owner: str
    ) -> None:
        self.db, self.table, self.item_id = db, table, item_id
        self.lease_seconds, self.owner = lease_seconds, owner
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{item_id}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(max(1.0, self.lease_seconds / 3)):
            try:
                if not items.extend_lease(
                    self.db, self.table, self.item_id, self.lease_seconds, self.owner
                ):
                    self.lost = True
                    return
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried next interval
                log.warning("heartbeat failed", job_id=self.item_id, error=type(exc).__name__)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the beats (the lease then runs out unless the item is closed first)."""
        self._stop.set()
        self._thread.join(timeout=5)
