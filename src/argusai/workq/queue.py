"""The queue: one Huey task for every kind, dispatch, the sweeper and the dead letters."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from huey import Huey
from sqlalchemy import select

from argusai.store.db import Database
from argusai.store.models import DeadLetter
from argusai.workq import items
from argusai.workq.kinds import Registry
from argusai.workq.runner import QueuePolicy, run_item

log = structlog.get_logger(__name__)

WORK_TASK = "argus.work"
#: hears ``(kind, item_id, outcome)`` after an item ran
Listener = Callable[[str, Any, str], None]


@dataclass(frozen=True)
class DeadItem:
    """One dead letter, with a short description of its item."""

    kind: str
    item_id: str
    what: str
    reason: str
    attempts: int
    created_at: datetime


class WorkQueue:
    """Send, run, sweep and revive work items of every registered kind."""

    def __init__(
        self,
        huey: Huey,
        db: Database,
        registry: Registry,
        policy: QueuePolicy,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self.huey, self.db, self.registry, self.policy = huey, db, registry, policy
        #: told ``(kind, item_id, outcome)`` after each run (the notifications hear "dead")
        self.listeners = tuple(listeners)
        self._task = register_work_task(huey)

    def dispatch(
        self,
        kind: str,
        item_id: Any,
        delay: float = 0,
        priority: int = 0,
        *,
        recorded: bool = False,
    ) -> bool:
        """Send one message for the item; False (the sweeper sends it later) when the queue is down.

        ``recorded``: the item was written already marked dispatched (one write per webhook
        delivery on the hot path); only a failure needs another write.
        """
        table = self.registry.get(kind).table
        try:
            if delay > 0:
                self._task.schedule(args=(kind, item_id), delay=delay, priority=priority)
            else:
                self._task(kind, item_id, priority=priority)
        except Exception as exc:  # noqa: BLE001 - any queue failure leaves the item to the sweeper
            log.warning(
                "enqueue failed; the sweeper will dispatch it",
                kind=kind,
                job_id=item_id,
                error=type(exc).__name__,
            )
            items.mark_dispatched(self.db, table, item_id, dispatched=False)
            return False
        if not recorded:
            items.mark_dispatched(self.db, table, item_id)
        return True

    def _again(self, kind: str, item_id: Any, delay: float, priority: int) -> bool:
        return self.dispatch(kind, item_id, delay, priority, recorded=True)

    def run(self, kind: str, item_id: Any) -> str:
        """Run one item now, in this process (the task body; tests)."""
        outcome = run_item(self.db, self.policy, self._again, self.registry.get(kind), item_id)
        for listen in self.listeners:
            try:
                listen(kind, item_id, outcome)
            except Exception as exc:  # noqa: BLE001 - a listener never changes the outcome
                log.warning("work listener failed", kind=kind, job_id=item_id, error=repr(exc))
        return outcome

    def sweep(self, limit: int = 100) -> int:
        """Re-dispatch lost, delayed and abandoned items of every kind; how many were sent."""
        stale = timedelta(seconds=self.policy.redispatch_after_seconds)
        sent = 0
        for kind in self.registry:
            for item_id in items.due_for_dispatch(
                self.db, kind.table, stale_after=stale, limit=limit
            ):
                if self.dispatch(kind.name, item_id):
                    sent += 1
        if sent:
            log.info("sweeper dispatched work", count=sent)
        return sent

    def dead(self) -> list[DeadItem]:
        """Dead letters not yet retried, oldest first, every kind."""
        with self.db.session() as s:
            letters = s.scalars(
                select(DeadLetter).where(DeadLetter.retried_at.is_(None)).order_by(DeadLetter.id)
            ).all()
            found = []
            for d in letters:
                what = "?"
                if d.kind in self.registry.names():
                    kind = self.registry.get(d.kind)
                    row = s.get(kind.table.model, kind.parse_id(str(d.item_id)))
                    what = kind.describe(row) if row is not None else "(deleted)"
                found.append(
                    DeadItem(d.kind, str(d.item_id), what, d.reason, d.attempts, d.created_at)
                )
        return found

    def status(self, kind: str, item_id: str) -> str | None:
        """The item's status word; None when there is no such item."""
        work = self.registry.get(kind)
        try:
            parsed = work.parse_id(item_id)
        except ValueError:
            return None
        return items.status(self.db, work.table, parsed)

    def retry_dead(self, kind: str, item_id: str) -> bool:
        """Queue a failed item again with a fresh budget; False when it is not failed."""
        work = self.registry.get(kind)
        try:
            parsed = work.parse_id(item_id)
        except ValueError:
            return False
        if not items.retry_dead(self.db, work.table, kind, parsed):
            return False
        self.dispatch(kind, parsed)
        return True


_tasks: weakref.WeakKeyDictionary[Huey, Any] = weakref.WeakKeyDictionary()
_queues: weakref.WeakKeyDictionary[Huey, Callable[[], WorkQueue]] = weakref.WeakKeyDictionary()


def register_work_task(huey: Huey) -> Any:
    """Declare the one task ``argus.work(kind, item_id)`` on ``huey`` (once per Huey)."""
    if huey in _tasks:
        return _tasks[huey]

    @huey.task(name=WORK_TASK)  # type: ignore[untyped-decorator]
    def work_task(kind: str, item_id: Any) -> None:
        get_queue = _queues.get(huey)
        if get_queue is None:
            raise RuntimeError("no work queue is bound to this Huey (bind_queue)")
        get_queue().run(kind, item_id)

    _tasks[huey] = work_task
    return work_task


def bind_queue(huey: Huey, get_queue: Callable[[], WorkQueue]) -> None:
    """Tell the task which queue runs its messages in this process (built lazily)."""
    register_work_task(huey)
    _queues[huey] = get_queue


class Sweeper:
    """Runs :meth:`WorkQueue.sweep` every ``interval`` seconds (a daemon thread in a worker)."""

    def __init__(self, queue: WorkQueue, interval: float) -> None:
        self.queue, self.interval = queue, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sweeper", daemon=True)

    def start(self) -> None:
        """Start sweeping (the first sweep at once: pick up what a dead worker left)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current sweep."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.queue.sweep()
            except Exception as exc:  # noqa: BLE001 - the database may be down; try again later
                log.warning("sweep failed", error=type(exc).__name__)
            self._stop.wait(self.interval)
