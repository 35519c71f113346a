"""Circuit breaker: opens after N transient failures, one half-open probe, closes on success."""

from __future__ import annotations

import threading
import time

import pytest

from argusai.errors import LLMError, LLMRateLimited, LLMTransientError
from argusai.llm.breaker import Breaker, BreakerRegistry, CircuitOpenError


def boom(exc: Exception) -> None:
    raise exc


def fail(breaker: Breaker, exc: Exception, times: int = 1) -> None:
    for _ in range(times):
        with pytest.raises(type(exc)):
            breaker.call(lambda: boom(exc))


def test_opens_after_threshold_and_fails_fast() -> None:
    breaker = Breaker("p:m", failure_threshold=3, recovery_timeout=30)
    fail(breaker, LLMTransientError("500"), times=2)
    assert breaker.state == "closed"
    fail(breaker, LLMTransientError("500"))
    assert breaker.state == "open"
    calls: list[int] = []
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(lambda: calls.append(1))
    assert calls == []
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 30
    assert isinstance(info.value, LLMTransientError)


def test_success_resets_the_count() -> None:
    breaker = Breaker("p:m", failure_threshold=2, recovery_timeout=30)
    fail(breaker, LLMTransientError("500"))
    assert breaker.call(lambda: 42) == 42
    fail(breaker, LLMTransientError("500"))
    assert breaker.state == "closed"


@pytest.mark.parametrize("exc", [LLMRateLimited("429"), LLMError("401")])
def test_rate_limits_and_permanent_errors_do_not_count(exc: Exception) -> None:
    breaker = Breaker("p:m", failure_threshold=1, recovery_timeout=30)
    fail(breaker, exc, times=3)
    assert breaker.state == "closed"


def test_half_open_lets_one_probe_through_then_closes() -> None:
    breaker = Breaker("p:m", failure_threshold=1, recovery_timeout=0.1)
    fail(breaker, LLMTransientError("500"))
    time.sleep(0.15)
    assert breaker.state == "half_open"

    entered, release = threading.Event(), threading.Event()

    def slow_probe() -> str:
        entered.set()
        release.wait(2)
        return "ok"

    results: list[str] = []
    probe = threading.Thread(target=lambda: results.append(breaker.call(slow_probe)))
    probe.start()
    assert entered.wait(2)
    with pytest.raises(CircuitOpenError):  # a second caller while the probe is in flight
        breaker.call(lambda: "second")
    release.set()
    probe.join(2)
    assert results == ["ok"]
    assert breaker.state == "closed"
    assert breaker.call(lambda: "after") == "after"


def test_failed_probe_opens_again() -> None:
    breaker = Breaker("p:m", failure_threshold=2, recovery_timeout=0.1)
    fail(breaker, LLMTransientError("500"), times=2)
    time.sleep(0.15)
    fail(breaker, LLMTransientError("still down"))
    assert breaker.state == "open"
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: None)


def test_registry_keys_by_provider_and_model() -> None:
    registry = BreakerRegistry(failure_threshold=1, recovery_timeout=30)
    a = registry.get("openai", "gpt-4o")
    assert registry.get("openai", "gpt-4o") is a
    assert registry.get("anthropic", "gpt-4o") is not a
    fail(a, LLMTransientError("500"))
    assert registry.states() == {"openai:gpt-4o": "open", "anthropic:gpt-4o": "closed"}


def test_invalid_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="failure_threshold"):
        Breaker("x", failure_threshold=0)
