"""Room for synchronous analyses: a bounded number at once, in total and per tenant.

A sync analysis holds an LLM call for as long as the provider takes (tens of seconds).
Run on the event loop's shared thread pool, a few dozen of them would leave no thread
for the database calls of every other route: health checks, GitHub webhooks and other
tenants would wait behind one tenant's LLM calls. So the LLM call runs on an executor of
its own (``ARGUS_CI_SYNC_MAX_CONCURRENCY`` threads), and a request only gets a slot when
both the total and its tenant's share (``ARGUS_CI_SYNC_MAX_PER_TENANT``) have room; one
without a slot is queued for the worker (202), never made to wait.

The callback URL check of an analysis request resolves a host name the tenant chose (a
slow resolver takes seconds): it runs on a small executor of its own as well
(``SyncSlots.off_pool``), where waiting requests queue without holding a shared thread.

Slots are per web process (each process has its own threads to protect).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from argusai.core.closing import ClosesOnExit
from argusai.core.per_object import PerObject
from argusai.settings import Settings

T = TypeVar("T")
CHECK_THREADS = 4


class SyncSlots:
    """Counts of running sync analyses and the executor their LLM calls run on."""

    def __init__(self, total: int, per_tenant: int) -> None:
        self.total, self.per_tenant = total, per_tenant
        self.executor = ThreadPoolExecutor(
            max_workers=max(1, total), thread_name_prefix="argus-sync-llm"
        )
        self.checks = ThreadPoolExecutor(max_workers=CHECK_THREADS, thread_name_prefix="argus-dns")
        self._busy: dict[str, int] = {}
        self._in_use = 0
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        """Slots taken now (all tenants)."""
        with self._lock:
            return self._in_use

    def take(self, tenant_id: str) -> Slot | None:
        """A slot for ``tenant_id``, or None when the total or the tenant's share is full."""
        with self._lock:
            mine = self._busy.get(tenant_id, 0)
            if self._in_use >= self.total or mine >= self.per_tenant:
                return None
            self._busy[tenant_id] = mine + 1
            self._in_use += 1
        return Slot(self, tenant_id)

    def _give_back(self, tenant_id: str) -> None:
        with self._lock:
            self._in_use -= 1
            left = self._busy[tenant_id] - 1
            if left:
                self._busy[tenant_id] = left
            else:
                del self._busy[tenant_id]

    async def off_pool(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking check (DNS) on the checks executor, not the shared thread pool."""
        context = contextvars.copy_context()
        return await asyncio.wrap_future(self.checks.submit(context.run, fn, *args))

    def close(self) -> None:
        """Stop taking work (running calls finish on their own)."""
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.checks.shutdown(wait=False, cancel_futures=True)


class Slot(ClosesOnExit):
    """One taken slot: released when the block ends, or when the call it ran has finished.

    A call handed to the executor keeps its slot until its thread is done, even if the
    request that started it was cancelled, so the executor never holds more calls than
    there are slots.
    """

    def __init__(self, slots: SyncSlots, tenant_id: str) -> None:
        self._slots, self._tenant_id = slots, tenant_id
        self._held = True
        self._future: Future[Any] | None = None
        self._lock = threading.Lock()

    def release(self) -> None:
        """Give the slot back (once)."""
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._slots._give_back(self._tenant_id)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on the sync executor (with this task's context) and await it."""
        context = contextvars.copy_context()
        future: Future[T] = self._slots.executor.submit(context.run, fn, *args)
        self._future = future
        future.add_done_callback(lambda _f: self.release())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """End of the block: release now unless a call runs (it releases when done)."""
        if self._future is None:
            self.release()  # nothing was handed to the executor


def _slots(settings: Settings) -> SyncSlots:
    return SyncSlots(settings.ci_sync_max_concurrency, settings.ci_sync_max_per_tenant)


_per_settings: PerObject[Settings, SyncSlots] = PerObject(_slots, SyncSlots.close)


def slots_for(settings: Settings) -> SyncSlots:
    """The slots of this process (one per Settings object, as the rate limiters are)."""
    return _per_settings.get(settings)
