"""The callback task of the analysis API: deliver a finished analysis, retrying with backoff.

Analyses themselves are a kind of work on the one queue (:mod:`argusai.ciapi.kind`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import structlog
from huey import Huey

from argusai.ciapi import callbacks
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)

CALLBACK_TASK = "argus.ci_callback"

_registered: weakref.WeakKeyDictionary[Huey, Any] = weakref.WeakKeyDictionary()


def register_callback_task(
    huey: Huey, get_runtime: Callable[[], Runtime]
) -> Callable[[str, float], bool]:
    """Declare the callback task on ``huey`` (once); ``send(analysis_id, delay)``."""
    if huey not in _registered:

        @huey.task(name=CALLBACK_TASK)  # type: ignore[untyped-decorator]
        def callback_task(analysis_id: str) -> None:
            run_callback(get_runtime(), analysis_id)

        _registered[huey] = callback_task
    task = _registered[huey]

    def send(analysis_id: str, delay: float = 0) -> bool:
        try:
            if delay > 0:
                task.schedule(args=(analysis_id,), delay=delay)
            else:
                task(analysis_id)
        except Exception as exc:  # noqa: BLE001 - the queue is down: the callback is not sent
            log.warning("ci.callback_enqueue_failed", analysis_id=analysis_id, error=repr(exc))
            return False
        return True

    return send


def run_callback(rt: Runtime, analysis_id: str) -> str:
    """One delivery attempt of a callback; reschedules itself with backoff on failure."""
    outcome = callbacks.deliver(rt.db, rt.settings, analysis_id)
    if outcome.retry_in is not None:
        register_callback_task(rt.huey, lambda: rt)(analysis_id, outcome.retry_in)
    return outcome.status
