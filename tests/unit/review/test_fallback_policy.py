"""When reviews go to GitHub Actions: the switch, the LLM's breakers over time, the queue."""

from __future__ import annotations

from pathlib import Path

import pytest

from argusai.errors import LLMTransientError
from argusai.llm.breaker import BreakerRegistry
from argusai.review.fallback import Pressure, Switch, llm_down_seconds, review_breakers
from argusai.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path,
        llm_provider="openai-compatible",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_fallback_model="cheap",
        fallback_llm_down_seconds=300,
        fallback_queue_wait_seconds=900,
    )


def trip(registry: BreakerRegistry, name: str) -> None:
    provider, model = name.split(":", 1)
    breaker = registry.get(provider, model)

    def down() -> None:
        raise LLMTransientError("503")

    for _ in range(registry.failure_threshold):
        with pytest.raises(LLMTransientError):
            breaker.call(down)


def test_the_review_models_breakers(settings: Settings, tmp_path: Path) -> None:
    assert review_breakers(settings) == [
        "openai-compatible:gpt-4o-mini",
        "openai-compatible:cheap",
    ]
    models = make_settings(tmp_path, llm_model="gpt-4o", llm_api_key="k")
    assert review_breakers(models) == ["github-models:openai/gpt-4o"]


def test_the_llm_is_down_while_every_model_s_breaker_is_not_closed(settings: Settings) -> None:
    registry = BreakerRegistry(failure_threshold=2, recovery_timeout=60)
    assert llm_down_seconds(settings, registry, clock=0.0) is None  # never called
    trip(registry, "openai-compatible:gpt-4o-mini")
    assert llm_down_seconds(settings, registry, clock=1.0) is None  # the fallback model works
    trip(registry, "openai-compatible:cheap")
    assert llm_down_seconds(settings, registry, clock=10.0) == 0.0  # first seen down now
    assert llm_down_seconds(settings, registry, clock=250.0) == 240.0
    other = BreakerRegistry()  # another process's breakers: its own clock
    assert llm_down_seconds(settings, other, clock=250.0) is None


def test_the_reasons_in_order(settings: Settings) -> None:
    calm = Pressure(Switch(False), None, 10.0)
    assert calm.reason(settings) is None
    assert Pressure(Switch(True), None, None).reason(settings) == (
        "the operator turned the Actions fallback on"
    )
    assert Pressure(Switch(False), 299.0, None).reason(settings) is None
    assert Pressure(Switch(False), 300.0, None).reason(settings) == (
        "the LLM has been unavailable for 5 min"
    )
    assert Pressure(Switch(False), None, 5400.0).reason(settings) == (
        "reviews have waited 90 min in the queue"
    )
    manual_only = settings.model_copy(update={"fallback_auto": False})
    assert Pressure(Switch(False), 9999.0, 9999.0).reason(manual_only) is None
    assert Pressure(Switch(True), None, None).reason(manual_only) is not None
