"""The ``LLMClient`` the rest of ArgusAI uses: retries, fallback model, circuit breaker.

Policy, per call:

* Each HTTP attempt goes through the breaker of its provider + model.
* Transient failures (connection, timeout, 5xx, 408/409, 429) are retried with
  stamina: exponential backoff with jitter, ``max_retries`` retries at most.
  A ``Retry-After`` up to ``retry_after_cap`` seconds is honoured as the wait;
  a longer one ends the retries at once (a worker thread should not sleep for
  minutes) and the error carries ``retry_after`` so the job is rescheduled.
* 429 on the primary model switches to the fallback model immediately, without
  retrying the primary: a rate limit is a quota (GitHub Models counts per model,
  per minute and per day), so hammering the same model only burns time while the
  fallback has its own quota. Without a fallback the 429 is retried as above.
* An open breaker or exhausted retries on the primary also move on to the fallback.
* If every model is rate-limited: LLMRateLimited with the shortest known wait.
* 4xx other than 429, and unusable answers, raise LLMError at once: no retry,
  no fallback (the same key and prompt would fail the same way).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import stamina
import structlog

from argusai.core.closing import ClosesOnExit
from argusai.errors import LLMRateLimited, LLMTransientError
from argusai.llm.backend import ChatBackend, ChatRequest
from argusai.llm.breaker import Breaker, BreakerRegistry, CircuitOpenError, shared_breakers
from argusai.llm.port import Completion
from argusai.telemetry.metrics import telemetry

log = structlog.get_logger(__name__)


class ResilientLLM(ClosesOnExit):
    """An ``LLMClient`` wrapping one ``ChatBackend`` with retries, fallback and breakers."""

    def __init__(
        self,
        backend: ChatBackend,
        *,
        model: str,
        fallback_model: str | None = None,
        max_retries: int = 3,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        backoff_jitter: float = 0.5,
        retry_after_cap: float = 20.0,
        breakers: BreakerRegistry | None = None,
    ) -> None:
        self.backend = backend
        self.model = model
        self.fallback_model = fallback_model if fallback_model != model else None
        self._attempts = max(max_retries, 0) + 1
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._backoff_jitter = backoff_jitter
        self._retry_after_cap = retry_after_cap
        self.breakers = breakers if breakers is not None else shared_breakers()

    def __repr__(self) -> str:
        return (
            f"ResilientLLM({self.backend!r}, model={self.model!r}, "
            f"fallback_model={self.fallback_model!r})"
        )

    def close(self) -> None:
        """Release the backend's connections."""
        self.backend.close()

    def complete_json(
        self, *, system: str, user: str, schema: dict[str, Any], schema_name: str
    ) -> Completion:
        """Ask for a JSON answer conforming to ``schema``, trying the fallback model if needed."""
        request = ChatRequest(system=system, user=user, schema=schema, schema_name=schema_name)
        models = [self.model] + ([self.fallback_model] if self.fallback_model else [])
        failures: list[LLMTransientError] = []
        for index, model in enumerate(models):
            has_next = index + 1 < len(models)
            try:
                return self._complete_with(request, model, has_fallback=has_next)
            except LLMTransientError as exc:
                failures.append(exc)
                if has_next:
                    log.warning(
                        "llm.fallback",
                        provider=self.backend.provider,
                        model=model,
                        fallback_model=models[index + 1],
                        reason=_reason(exc),
                    )
        raise _final_error(failures, models)

    def _complete_with(self, request: ChatRequest, model: str, *, has_fallback: bool) -> Completion:
        breaker = self.breakers.get(self.backend.provider, model)

        def should_retry(exc: Exception) -> bool | float:
            if isinstance(exc, CircuitOpenError) or not isinstance(exc, LLMTransientError):
                return False
            if isinstance(exc, LLMRateLimited) and has_fallback:
                return False
            if exc.retry_after is not None:
                return False if exc.retry_after > self._retry_after_cap else exc.retry_after
            return True

        for attempt in stamina.retry_context(
            on=should_retry,
            attempts=self._attempts,
            timeout=None,
            wait_initial=self._backoff_initial,
            wait_max=self._backoff_max,
            wait_jitter=self._backoff_jitter,
        ):
            with attempt:
                send = partial(self.backend.send, request, model=model, attempt=attempt.num)
                return self._measured(breaker, send, model)
        raise AssertionError("unreachable: stamina re-raises the last error")

    def _measured(self, breaker: Breaker, send: Callable[[], Completion], model: str) -> Completion:
        """One attempt through the breaker, counted in the metrics by outcome."""
        provider, started = self.backend.provider, time.perf_counter()
        try:
            completion = breaker.call(send)
        except Exception as exc:
            outcome = _outcome(exc)
            seconds = None if outcome == "circuit_open" else time.perf_counter() - started
            telemetry().observe_llm(provider, model, outcome, seconds)
            raise
        telemetry().observe_llm(provider, model, "ok", time.perf_counter() - started, completion)
        return completion


def _outcome(exc: Exception) -> str:
    """The metrics' word for a failed attempt."""
    if isinstance(exc, LLMTransientError):
        return _reason(exc)
    return "error"


def _reason(exc: LLMTransientError) -> str:
    if isinstance(exc, CircuitOpenError):
        return "circuit_open"
    if isinstance(exc, LLMRateLimited):
        return "rate_limited"
    return "unavailable"


def _final_error(failures: list[LLMTransientError], models: list[str]) -> LLMTransientError:
    """The error to raise once every model failed transiently."""
    last = failures[-1]
    if len(failures) == 1:
        return last
    waits = [f.retry_after for f in failures if f.retry_after is not None]
    wait = min(waits) if waits else None
    names = ", ".join(repr(m) for m in models)
    if all(isinstance(f, LLMRateLimited) for f in failures):
        return LLMRateLimited(f"every model is rate limited ({names}): {last}", retry_after=wait)
    return type(last)(f"no model available ({names}): {last}", retry_after=wait)
