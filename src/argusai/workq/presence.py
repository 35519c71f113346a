"""A worker's presence: a heartbeat row written every few seconds while the process lives.

``/readyz`` reads these rows (worker liveness); the row also carries the worker's LLM
breaker states, handed in as a function so the queue does not import the LLM edge.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable

import structlog

from argusai import __version__
from argusai.core.closing import ClosesOnExit
from argusai.store import heartbeats
from argusai.store.db import Database

log = structlog.get_logger(__name__)


def new_worker_id() -> str:
    """``host:pid:random`` — unique across hosts and restarts, readable in ``/readyz``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WorkerPresence(ClosesOnExit):
    """Writes this worker's heartbeat every ``interval`` seconds; removes it on close."""

    def __init__(
        self,
        db: Database,
        interval: float,
        *,
        threads: int,
        breakers: Callable[[], dict[str, str]] = dict,
    ) -> None:
        self.db, self.interval, self.threads, self.breakers = db, interval, threads, breakers
        self.worker_id = new_worker_id()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-heartbeat", daemon=True)

    def start(self) -> WorkerPresence:
        """The first beat now (ready as soon as the worker is), then every interval."""
        self.beat()
        self._thread.start()
        return self

    def beat(self) -> bool:
        """Write one heartbeat; False when the database did not take it (tried again later)."""
        try:
            heartbeats.beat(
                self.db,
                self.worker_id,
                hostname=socket.gethostname(),
                pid=os.getpid(),
                threads=self.threads,
                version=__version__,
                breakers=self.breakers(),
            )
        except Exception as exc:  # noqa: BLE001 - the database may be down; beat again later
            log.warning("worker heartbeat failed", error=type(exc).__name__)
            return False
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.beat()

    def close(self) -> None:
        """Stop beating and remove the row: a worker that stopped is not alive."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        try:
            heartbeats.forget(self.db, self.worker_id)
        except Exception as exc:  # noqa: BLE001 - the row then ages out
            log.warning("worker heartbeat not removed", error=type(exc).__name__)
