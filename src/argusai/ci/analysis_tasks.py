"""Huey tasks of the analysis API: process an async analysis, deliver its callback, sweep."""

from __future__ import annotations

import gzip
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from huey import Huey, crontab

from argusai.ci import analyses, callbacks
from argusai.errors import PermanentError, TransientError
from argusai.jobs.runtime import Runtime
from argusai.llm.breaker import CircuitOpenError

log = structlog.get_logger(__name__)

ANALYSIS_TASK = "argus.ci_analysis"
CALLBACK_TASK = "argus.ci_callback"
SWEEP_TASK = "argus.ci_analysis_sweep"


@dataclass
class AnalysisTasks:
    """Handles to enqueue analysis work (the same names in the web and worker processes)."""

    huey: Huey
    analysis: Any
    callback: Any

    def dispatch_analysis(self, analysis_id: str, delay: float = 0) -> bool:
        """Queue an analysis; False when the queue is down (the sweeper picks it up later)."""
        return _send(self.analysis, analysis_id, delay)

    def dispatch_callback(self, analysis_id: str, delay: float = 0) -> bool:
        """Queue a callback delivery."""
        return _send(self.callback, analysis_id, delay)


def _send(task: Any, analysis_id: str, delay: float) -> bool:
    try:
        if delay > 0:
            task.schedule(args=(analysis_id,), delay=delay)
        else:
            task(analysis_id)
    except Exception as exc:  # noqa: BLE001 - any queue failure: the sweeper re-dispatches
        log.warning("ci.enqueue_failed", analysis_id=analysis_id, error=type(exc).__name__)
        return False
    return True


_registered: weakref.WeakKeyDictionary[Huey, AnalysisTasks] = weakref.WeakKeyDictionary()


def register_analysis_tasks(huey: Huey, get_runtime: Callable[[], Runtime]) -> AnalysisTasks:
    """Declare the analysis tasks on ``huey`` (once per Huey; later calls get the same)."""
    if huey in _registered:
        return _registered[huey]
    holder: dict[str, AnalysisTasks] = {}

    @huey.task(name=ANALYSIS_TASK)  # type: ignore[untyped-decorator]
    def analysis_task(analysis_id: str) -> None:
        run_analysis(get_runtime(), holder["t"], analysis_id)

    @huey.task(name=CALLBACK_TASK)  # type: ignore[untyped-decorator]
    def callback_task(analysis_id: str) -> None:
        run_callback(get_runtime(), holder["t"], analysis_id)

    @huey.periodic_task(crontab(minute="*"), name=SWEEP_TASK)  # type: ignore[untyped-decorator]
    def sweep_task() -> None:
        for analysis_id in analyses.stale(get_runtime().db):
            holder["t"].dispatch_analysis(analysis_id)

    tasks = AnalysisTasks(huey=huey, analysis=analysis_task, callback=callback_task)
    holder["t"] = tasks
    _registered[huey] = tasks
    return tasks


def run_analysis(rt: Runtime, tasks: AnalysisTasks, analysis_id: str) -> str:
    """Process one async analysis under a lease; its outcome (for tests and logs)."""
    owner = uuid.uuid4().hex
    bound = log.bind(analysis_id=analysis_id, job_id=owner[:12])
    data = analyses.claim(rt.db, analysis_id, rt.settings.job_lease_seconds, owner)
    if data is None:
        return "skipped"
    row = analyses.get_workflow(rt.db, analysis_id)
    try:
        done = analyses.analyse(rt.llm, rt.settings, gzip.decompress(data), row)
    except (TransientError, CircuitOpenError) as exc:
        public = analyses.tenant_error(exc)
        delay = analyses.retry_later(rt.db, analysis_id, public, rt.settings, owner)
        if delay is not None:
            bound.warning(
                "ci.analysis_retry",
                delay=round(delay, 1),
                error=type(exc).__name__,
                detail=_detail(exc),
            )
            tasks.dispatch_analysis(analysis_id, delay)
            return "retry"
        bound.warning("ci.analysis_failed", error=type(exc).__name__, detail=_detail(exc))
        outcome = "failed"
    except (PermanentError, OSError, EOFError, ValueError) as exc:
        analyses.fail(rt.db, analysis_id, analyses.tenant_error(exc), owner)
        bound.warning("ci.analysis_failed", error=type(exc).__name__, detail=_detail(exc))
        outcome = "failed"
    else:
        if not analyses.complete(rt.db, analysis_id, done, owner):
            return "lost-lease"
        bound.info("ci.analysis_completed", cost_usd=done.cost_usd)
        outcome = "completed"
    tasks.dispatch_callback(analysis_id)
    return outcome


def run_callback(rt: Runtime, tasks: AnalysisTasks, analysis_id: str) -> str:
    """One delivery attempt of a callback; reschedules itself with backoff on failure."""
    outcome = callbacks.deliver(rt.db, rt.settings, analysis_id)
    if outcome.retry_in is not None:
        tasks.dispatch_callback(analysis_id, outcome.retry_in)
    return outcome.status


def _detail(exc: BaseException) -> str:
    """The error's own text, for the server's log (scrubbed there), never for the tenant."""
    return str(exc)[:500]
