"""The CI run worker job: Huey task, lease + heartbeat, outcomes → retry / dead letter."""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType
from typing import Any

import structlog
from huey import Huey, crontab

from argusai.errors import GitHubRateLimited, PermanentError, Superseded, TransientError
from argusai.jobs.runtime import Runtime
from argusai.llm.breaker import CircuitOpenError
from argusai.store.db import Database
from argusai.store.models import ReviewStatus

log = structlog.get_logger(__name__)

CI_TASK = "argus.ci_run"
CI_SWEEP_TASK = "argus.ci_run_sweep"


@dataclass
class CITasks:
    """Handles to enqueue CI runs (the same names in the web and the worker process)."""

    huey: Huey
    run: Any

    def dispatch(
        self, db: Database, ci_run_id: int, delay: float = 0, *, recorded: bool = False
    ) -> bool:
        """Queue a CI run; False (it stays queued for the sweeper) when the queue is down."""
        from argusai.ci import github_runs

        try:
            if delay > 0:
                self.run.schedule(args=(ci_run_id,), delay=delay)
            else:
                self.run(ci_run_id)
        except Exception as exc:  # noqa: BLE001 - any queue failure leaves the item to the sweeper
            log.warning("ci.enqueue_failed", ci_run_id=ci_run_id, error=type(exc).__name__)
            github_runs.mark_dispatched(db, ci_run_id, dispatched=False)
            return False
        if not recorded:
            github_runs.mark_dispatched(db, ci_run_id)
        return True


_registered: weakref.WeakKeyDictionary[Huey, CITasks] = weakref.WeakKeyDictionary()


def register_ci_tasks(huey: Huey, get_runtime: Callable[[], Runtime]) -> CITasks:
    """Declare the CI run task and its sweep on ``huey`` (once per Huey; then the same)."""
    if huey in _registered:
        return _registered[huey]
    holder: dict[str, CITasks] = {}

    @huey.task(name=CI_TASK)  # type: ignore[untyped-decorator]
    def ci_run_task(ci_run_id: int) -> None:
        run_ci_item(get_runtime(), holder["t"], ci_run_id)

    @huey.periodic_task(crontab(minute="*"), name=CI_SWEEP_TASK)  # type: ignore[untyped-decorator]
    def ci_sweep_task() -> None:
        sweep_ci(get_runtime(), holder["t"])

    tasks = CITasks(huey=huey, run=ci_run_task)
    holder["t"] = tasks
    _registered[huey] = tasks
    return tasks


class _Heartbeat:
    """Every lease/3 seconds push the CI run's lease forward, until the job ends."""

    def __init__(self, db: Database, ci_run_id: int, lease_seconds: int, owner: str) -> None:
        self.db, self.ci_run_id, self.lease_seconds, self.owner = (
            db,
            ci_run_id,
            lease_seconds,
            owner,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"ci-hb-{ci_run_id}", daemon=True)

    def _beat(self) -> None:
        from argusai.ci import github_runs

        while not self._stop.wait(max(1.0, self.lease_seconds / 3)):
            try:
                if not github_runs.extend_lease(
                    self.db, self.ci_run_id, self.lease_seconds, self.owner
                ):
                    return
            except Exception as exc:  # noqa: BLE001 - a missed beat is retried next interval
                log.warning("ci.heartbeat_failed", error=type(exc).__name__)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def run_ci_item(rt: Runtime, tasks: CITasks, ci_run_id: int) -> str:
    """Run one CI run work item and map its outcome to the state machine; the outcome."""
    from argusai.ci import github_runs
    from argusai.ci.github_process import process_ci_run

    settings = rt.settings
    owner = uuid.uuid4().hex
    item = github_runs.claim(rt.db, ci_run_id, settings.job_lease_seconds, owner)
    if item is None:
        log.info("ci run not claimable (done, superseded or running elsewhere)", job_id=ci_run_id)
        return "skipped"
    context = {
        "job_id": f"ci:{ci_run_id}",
        "repo": item.repo_name,
        "run_id": item.run_id,
        "run_attempt": item.run_attempt,
        "installation_id": item.installation_id,
        "delivery_id": item.delivery_id,
    }
    structlog.contextvars.bind_contextvars(**context)
    try:
        with _Heartbeat(rt.db, ci_run_id, settings.job_lease_seconds, owner):
            process_ci_run(rt, item, owner)
        return "done"
    except Superseded as exc:
        log.info("ci run superseded", reason=str(exc))
        github_runs.finish(rt.db, ci_run_id, owner, ReviewStatus.SUPERSEDED, error=str(exc))
        return "superseded"
    except (GitHubRateLimited, CircuitOpenError) as exc:
        # a wait, not a fault of this run: keep the retry budget
        delay = max(1.0, exc.retry_after if exc.retry_after is not None else 60.0)
        if github_runs.defer(rt.db, ci_run_id, owner, reason=_describe(exc), delay=delay):
            log.info("ci run deferred", reason=_describe(exc), delay=round(delay, 1))
            tasks.dispatch(rt.db, ci_run_id, delay=delay, recorded=True)
        return "deferred"
    except TransientError as exc:
        from argusai.jobs.workitems import backoff_seconds

        delay = exc.retry_after or backoff_seconds(item.attempts, settings.job_retry_delay_seconds)
        again = github_runs.retry_later(
            rt.db,
            ci_run_id,
            owner,
            error=_describe(exc),
            max_retries=settings.job_max_retries,
            delay=delay,
        )
        log.warning(
            "ci run transient failure",
            error=_describe(exc),
            retry=again,
            delay=round(delay, 1),
            attempt=item.attempts,
        )
        if again:
            tasks.dispatch(rt.db, ci_run_id, delay=delay, recorded=True)
            return "retry"
        return "dead"
    except PermanentError as exc:
        log.error("ci run failed", error=_describe(exc))
        github_runs.finish(rt.db, ci_run_id, owner, ReviewStatus.FAILED, error=_describe(exc))
        return "failed"
    except Exception as exc:  # the job boundary: any bug becomes a dead letter
        log.exception("ci run crashed")
        github_runs.retry_later(
            rt.db,
            ci_run_id,
            owner,
            error=f"internal error: {_describe(exc)}",
            max_retries=-1,
            delay=0,
        )
        return "dead"
    finally:
        structlog.contextvars.unbind_contextvars(*context)


def sweep_ci(rt: Runtime, tasks: CITasks) -> int:
    """Re-dispatch lost, delayed and abandoned CI runs; how many were sent."""
    from argusai.ci import github_runs

    stale = timedelta(seconds=rt.settings.redispatch_after_seconds)
    sent = sum(
        1
        for ci_run_id in github_runs.due_for_dispatch(rt.db, stale_after=stale)
        if tasks.dispatch(rt.db, ci_run_id)
    )
    if sent:
        log.info("ci sweeper dispatched work", count=sent)
    return sent


def _describe(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:500]
