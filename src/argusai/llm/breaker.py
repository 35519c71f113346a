"""Circuit breakers per provider + model, on the ``circuitbreaker`` package.

After ``failure_threshold`` consecutive transient failures (5xx, timeouts, connection
errors; not 429, which says the service is up but we are over quota) the breaker
opens for ``recovery_timeout`` seconds: calls fail at once with ``CircuitOpenError``
and no network call. Then it is half-open: exactly one probe goes through; success
closes it, failure opens it again. The ``circuitbreaker`` package lets every caller
through when half-open, so the single-probe rule and thread safety are added here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import structlog
from circuitbreaker import STATE_CLOSED, STATE_HALF_OPEN, STATE_OPEN, CircuitBreaker

from argusai.errors import LLMRateLimited, LLMTransientError

log = structlog.get_logger(__name__)
T = TypeVar("T")

__all__ = [
    "STATE_CLOSED",
    "STATE_HALF_OPEN",
    "STATE_OPEN",
    "Breaker",
    "BreakerRegistry",
    "CircuitOpenError",
    "shared_breakers",
]


class CircuitOpenError(LLMTransientError):
    """The breaker for this provider + model is open; ``retry_after`` says for how long."""


def _is_failure(exc_type: type[BaseException], _exc: BaseException) -> bool:
    return issubclass(exc_type, LLMTransientError) and not issubclass(exc_type, LLMRateLimited)


class Breaker:
    """One thread-safe circuit breaker with a single half-open probe."""

    def __init__(
        self, name: str, *, failure_threshold: int = 5, recovery_timeout: float = 60.0
    ) -> None:
        if failure_threshold < 1 or recovery_timeout <= 0:
            raise ValueError("failure_threshold must be >= 1 and recovery_timeout > 0")
        self.name = name
        self._cb = CircuitBreaker(
            failure_threshold=failure_threshold,
            recovery_timeout=recovery_timeout,
            expected_exception=_is_failure,
            name=name,
        )
        self._lock = threading.Lock()
        self._probing = False

    def __repr__(self) -> str:
        return f"Breaker({self.name!r}, state={self.state!r})"

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        return str(self._cb.state)

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` if the breaker allows it, recording its outcome."""
        probe = self._admit()
        try:
            result: T = self._cb.call(fn)
        except BaseException:
            if self._cb.state == STATE_OPEN:
                log.warning(
                    "llm.breaker_open",
                    breaker=self.name,
                    failures=self._cb.failure_count,
                    open_seconds=max(float(self._cb.open_remaining), 0.0),
                )
            raise
        else:
            if probe:
                log.info("llm.breaker_closed", breaker=self.name)
            return result
        finally:
            if probe:
                with self._lock:
                    self._probing = False

    def _admit(self) -> bool:
        """Raise CircuitOpenError unless a call may go through; True if it is the probe."""
        with self._lock:
            state = self._cb.state
            if state == STATE_CLOSED:
                return False
            if state == STATE_HALF_OPEN and not self._probing:
                self._probing = True
                return True
            remaining = max(float(self._cb.open_remaining), 0.0)
        raise CircuitOpenError(
            f"circuit open for {self.name}: too many consecutive failures; "
            f"next probe in {remaining:.0f}s",
            retry_after=remaining if remaining > 0 else 1.0,
        )


class BreakerRegistry:
    """Breakers keyed by provider + model, created on first use with shared thresholds."""

    def __init__(self, *, failure_threshold: int = 5, recovery_timeout: float = 60.0) -> None:
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self._breakers: dict[str, Breaker] = {}
        self._lock = threading.Lock()

    def get(self, provider: str, model: str) -> Breaker:
        """The breaker for ``provider`` + ``model``."""
        key = f"{provider}:{model}"
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                breaker = Breaker(
                    key,
                    failure_threshold=self.failure_threshold,
                    recovery_timeout=self.recovery_timeout,
                )
                self._breakers[key] = breaker
            return breaker

    def states(self) -> dict[str, str]:
        """Each known breaker's state, for health checks and dashboards."""
        with self._lock:
            return {key: b.state for key, b in self._breakers.items()}


_shared: BreakerRegistry | None = None
_shared_lock = threading.Lock()


def shared_breakers() -> BreakerRegistry:
    """The process-wide registry, so every client built by ``build_llm`` shares breakers."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BreakerRegistry()
        return _shared
