"""A running review's heartbeat: extends its lease while the worker is alive."""

from __future__ import annotations

import threading
from types import TracebackType

import structlog

from argusai.jobs import workitems
from argusai.store.db import Database

log = structlog.get_logger(__name__)


class Heartbeat:
    """Context manager: every lease/3 seconds push the lease forward; stops on exit.

    If the worker dies, the heartbeats stop, the lease runs out, and the sweeper hands the
    item to another worker; if the lease was taken over, ``lost`` becomes True.
    """

    def __init__(self, db: Database, review_id: int, lease_seconds: int, owner: str) -> None:
        self.db, self.review_id, self.lease_seconds, self.owner = (
            db,
            review_id,
            lease_seconds,
            owner,
        )
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{review_id}", daemon=True
        )

    def _beat(self) -> None:
        interval = max(1.0, self.lease_seconds / 3)
        while not self._stop.wait(interval):
            try:
                if not workitems.extend_lease(
                    self.db, self.review_id, self.lease_seconds, self.owner
                ):
                    self.lost = True
                    return
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried next interval
                log.warning("heartbeat failed", job_id=self.review_id, error=type(exc).__name__)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
