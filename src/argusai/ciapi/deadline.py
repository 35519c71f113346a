"""The time limit of one analysis (seed 003: 5 minutes), reduce and LLM calls together.

A thread cannot be stopped from outside, so the analysis runs on a thread of its own and
the caller stops *waiting* for it: past the limit the analysis is reported failed with
:class:`AnalysisTimeout`, and whatever the thread still finishes (an LLM call bounded by
``ARGUS_LLM_TIMEOUT_SECONDS``) is dropped. The synchronous path awaits its executor's
future with the same limit.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from argusai.errors import PermanentError

T = TypeVar("T")


class AnalysisTimeout(PermanentError):
    """An analysis took longer than ``ARGUS_CI_ANALYSIS_TIMEOUT_SECONDS``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the analysis took longer than {seconds:g} s and was stopped")
        self.seconds = seconds


def within(seconds: float, fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` on a thread of its own; AnalysisTimeout when not done in ``seconds``."""
    done: Future[T] = Future()

    def run() -> None:
        try:
            done.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller as is
            done.set_exception(exc)

    context = contextvars.copy_context()  # the job's log context goes along
    threading.Thread(target=context.run, args=(run,), name="argus-analysis", daemon=True).start()
    try:
        return done.result(timeout=seconds)
    except FutureTimeout:
        raise AnalysisTimeout(seconds) from None
