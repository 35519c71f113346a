"""Retry, fallback and breaker policy of ResilientLLM over an in-memory backend."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from argusai.errors import LLMError, LLMRateLimited, LLMTransientError
from argusai.llm.backend import ChatRequest
from argusai.llm.breaker import BreakerRegistry, CircuitOpenError
from argusai.llm.port import Completion, LLMClient
from argusai.llm.resilience import ResilientLLM


class ScriptedBackend:
    """A ChatBackend answering from a script of completions / exceptions."""

    provider = "scripted"

    def __init__(self, *script: Exception | str) -> None:
        self.script: deque[Exception | str] = deque(script)
        self.calls: list[tuple[str, int]] = []
        self.closed = False

    def send(self, request: ChatRequest, *, model: str, attempt: int = 1) -> Completion:
        self.calls.append((model, attempt))
        step = self.script.popleft() if self.script else "{}"
        if isinstance(step, Exception):
            raise step
        return Completion(step, model, 1, 1, 0.0)

    def close(self) -> None:
        self.closed = True


def make(backend: ScriptedBackend, **kw: Any) -> ResilientLLM:
    kw.setdefault("breakers", BreakerRegistry())
    return ResilientLLM(backend, backoff_initial=0.001, backoff_max=0.002, backoff_jitter=0, **kw)


def ask(llm: LLMClient) -> Completion:
    return llm.complete_json(system="s", user="u", schema={"type": "object"}, schema_name="n")


def test_retries_transient_errors_with_attempt_numbers() -> None:
    backend = ScriptedBackend(LLMTransientError("500"), LLMTransientError("502"), '{"ok": 1}')
    with make(backend, model="m", max_retries=2) as llm:
        assert ask(llm).text == '{"ok": 1}'
    assert backend.calls == [("m", 1), ("m", 2), ("m", 3)]
    assert backend.closed


def test_max_retries_zero_means_one_attempt() -> None:
    backend = ScriptedBackend(LLMTransientError("500"))
    with pytest.raises(LLMTransientError):
        ask(make(backend, model="m", max_retries=0))
    assert len(backend.calls) == 1


def test_permanent_error_is_not_retried_nor_falls_back() -> None:
    backend = ScriptedBackend(LLMError("401"))
    with pytest.raises(LLMError, match="401"):
        ask(make(backend, model="m", fallback_model="f"))
    assert backend.calls == [("m", 1)]


def test_exhausted_transient_primary_moves_to_fallback() -> None:
    backend = ScriptedBackend(LLMTransientError("500"), LLMTransientError("500"), "{}")
    assert ask(make(backend, model="m", fallback_model="f", max_retries=1)).model == "f"
    assert backend.calls == [("m", 1), ("m", 2), ("f", 1)]


def test_rate_limit_without_fallback_is_retried() -> None:
    backend = ScriptedBackend(LLMRateLimited("429", retry_after=0.0), "{}")
    assert ask(make(backend, model="m")).model == "m"
    assert len(backend.calls) == 2


def test_every_model_rate_limited_reports_the_shortest_wait() -> None:
    backend = ScriptedBackend(
        LLMRateLimited("429", retry_after=40), LLMRateLimited("429", retry_after=90)
    )
    with pytest.raises(LLMRateLimited) as info:
        ask(make(backend, model="m", fallback_model="f", retry_after_cap=5))
    assert info.value.retry_after == 40
    assert "'m', 'f'" in str(info.value)


def test_fallback_equal_to_model_is_ignored() -> None:
    llm = make(ScriptedBackend(), model="m", fallback_model="m")
    assert llm.fallback_model is None


def test_breaker_open_on_both_models_raises_circuit_open() -> None:
    breakers = BreakerRegistry(failure_threshold=1, recovery_timeout=30)
    backend = ScriptedBackend(LLMTransientError("500"), LLMTransientError("500"))
    llm = make(backend, model="m", fallback_model="f", max_retries=3, breakers=breakers)
    with pytest.raises(LLMTransientError):
        ask(llm)
    # the open breaker stops the retries: one attempt per model
    assert backend.calls == [("m", 1), ("f", 1)]
    with pytest.raises(CircuitOpenError) as info:
        ask(llm)
    assert backend.calls == [("m", 1), ("f", 1)]
    assert info.value.retry_after is not None


def test_repr_names_models_only() -> None:
    assert repr(make(ScriptedBackend(), model="m")).startswith("ResilientLLM(")
