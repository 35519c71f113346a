"""Huey tasks with stable names, registered on a Huey built at start-up (not at import)."""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from huey import Huey

from argusai.errors import GitHubRateLimited, PermanentError, Superseded, TransientError
from argusai.jobs import workitems
from argusai.jobs.heartbeat import Heartbeat
from argusai.jobs.maintenance import register_maintenance
from argusai.jobs.runtime import Runtime
from argusai.limits.policy import Deferral, limits_for
from argusai.llm.breaker import CircuitOpenError
from argusai.store.db import Database
from argusai.store.models import ReviewStatus

log = structlog.get_logger(__name__)

REVIEW_TASK = "argus.review"


@dataclass
class Tasks:
    """Handles to enqueue work; the same names in the web and the worker process."""

    huey: Huey
    review: Any

    def dispatch_review(
        self, db: Database, review_id: int, delay: float = 0, *, recorded: bool = False
    ) -> bool:
        """Send a review to the queue; False (item stays queued for the sweeper) on failure.

        ``recorded``: the item was created already marked dispatched (one write per
        delivery on the hot path); only a failure needs another write.
        """
        try:
            if delay > 0:
                self.review.schedule(args=(review_id,), delay=delay)
            else:
                self.review(review_id)
        except Exception as exc:  # noqa: BLE001 - any queue failure leaves the item to the sweeper
            log.warning(
                "enqueue failed; the sweeper will dispatch it",
                review_id=review_id,
                error=type(exc).__name__,
            )
            workitems.mark_dispatched(db, review_id, dispatched=False)
            return False
        if not recorded:
            workitems.mark_dispatched(db, review_id)
        return True


_registered: weakref.WeakKeyDictionary[Huey, Tasks] = weakref.WeakKeyDictionary()


def register_tasks(huey: Huey, get_runtime: Callable[[], Runtime]) -> Tasks:
    """Declare ArgusAI's tasks on ``huey`` (once per Huey; later calls get the same handles)."""
    if huey in _registered:
        return _registered[huey]
    holder: dict[str, Tasks] = {}

    @huey.task(name=REVIEW_TASK)  # type: ignore[untyped-decorator]
    def review_task(review_id: int) -> None:
        run_review_item(get_runtime(), holder["tasks"], review_id)

    register_maintenance(huey, get_runtime)
    tasks = Tasks(huey=huey, review=review_task)
    holder["tasks"] = tasks
    _registered[huey] = tasks
    return tasks


def run_review_item(rt: Runtime, tasks: Tasks, review_id: int) -> None:
    """Run one review work item and map its outcome to the state machine."""
    from argusai.jobs.review_job import process_review

    settings = rt.settings
    owner = uuid.uuid4().hex
    item = workitems.claim(rt.db, review_id, settings.job_lease_seconds, owner)
    if item is None:
        log.info("review not claimable (done, superseded or running elsewhere)", job_id=review_id)
        return
    bound = log  # the job's ids travel in contextvars, into every log line of the job
    context = {
        "job_id": review_id,
        "repo": item.repo_name,
        "pr": item.pr_number,
        "installation_id": item.installation_id,
        "delivery_id": item.delivery_id,
    }
    structlog.contextvars.bind_contextvars(**context)
    limits = limits_for(settings)
    try:
        deferral = limits.admit_review(item.installation_id)
        if deferral is not None:
            _defer(rt, tasks, review_id, owner, deferral)
            return
        with Heartbeat(rt.db, review_id, settings.job_lease_seconds, owner):
            process_review(rt, item)
    except Superseded as exc:
        bound.info("review superseded", reason=str(exc))
        workitems.finish(rt.db, review_id, ReviewStatus.SUPERSEDED, str(exc), owner)
    except GitHubRateLimited as exc:
        # a rate limit is not a fault of this review: wait for it, keep the retry budget.
        # The client's response hook has paused the installation (primary: until the
        # reset; secondary: for retry-after); write pacing raises with its own wait.
        wait = exc.retry_after if exc.retry_after is not None else 60.0
        delay = max(wait, limits.pauses.remaining(item.installation_id))
        _defer(rt, tasks, review_id, owner, Deferral(delay, _describe(exc)))
    except CircuitOpenError as exc:
        # the LLM provider is down: the review waits in the queue rather than burn retries
        _defer(rt, tasks, review_id, owner, Deferral(exc.retry_after or 30.0, _describe(exc)))
    except TransientError as exc:
        delay = exc.retry_after or workitems.backoff_seconds(
            item.attempts, settings.job_retry_delay_seconds
        )
        again = workitems.retry_later(
            rt.db,
            review_id,
            error=_describe(exc),
            max_retries=settings.job_max_retries,
            delay=delay,
            owner=owner,
        )
        bound.warning(
            "transient failure",
            error=_describe(exc),
            retry=again,
            delay=round(delay, 1),
            attempt=item.attempts,
        )
        if again:
            tasks.dispatch_review(rt.db, review_id, delay=delay)
    except PermanentError as exc:
        bound.error("review failed", error=_describe(exc))
        workitems.finish(rt.db, review_id, ReviewStatus.FAILED, _describe(exc), owner)
    except Exception as exc:  # noqa: BLE001 - the job boundary: any bug becomes a dead letter
        # a bug, not a transient fault: park it as a dead letter so an operator can retry
        bound.exception("review crashed")
        workitems.retry_later(
            rt.db,
            review_id,
            error=f"internal error: {_describe(exc)}",
            max_retries=-1,
            delay=0,
            owner=owner,
        )
    finally:
        structlog.contextvars.unbind_contextvars(*context)


def _defer(rt: Runtime, tasks: Tasks, review_id: int, owner: str, deferral: Deferral) -> None:
    """Reschedule without spending the retry budget (only while ``owner`` holds the item)."""
    delay = max(1.0, deferral.delay)
    if not workitems.defer(rt.db, review_id, reason=deferral.reason, delay=delay, owner=owner):
        log.info("review not deferred: the lease is held elsewhere")
        return
    log.info("review deferred", reason=deferral.reason, delay=round(delay, 1))
    tasks.dispatch_review(rt.db, review_id, delay=delay, recorded=True)


class Sweeper:
    """Runs :func:`sweep` every ``interval`` seconds in a worker process (a daemon thread)."""

    def __init__(self, rt: Runtime, tasks: Tasks, interval: float) -> None:
        self.rt, self.tasks, self.interval = rt, tasks, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sweeper", daemon=True)

    def start(self) -> None:
        """Start sweeping (first sweep at once: pick up what a dead worker left)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current sweep."""
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                sweep(self.rt, self.tasks)
            except Exception as exc:  # noqa: BLE001 - the database may be down; try again later
                log.warning("sweep failed", error=type(exc).__name__)
            self._stop.wait(self.interval)


def sweep(rt: Runtime, tasks: Tasks) -> int:
    """Re-dispatch lost, delayed and abandoned items; returns how many were sent."""
    sent = 0
    for review_id in workitems.due_for_dispatch(
        rt.db, stale_after=timedelta(seconds=rt.settings.redispatch_after_seconds)
    ):
        if tasks.dispatch_review(rt.db, review_id):
            sent += 1
    if sent:
        log.info("sweeper dispatched work", count=sent)
    return sent


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:500]
