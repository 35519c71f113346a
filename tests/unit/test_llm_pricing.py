"""Cost estimates per model."""

from __future__ import annotations

import uuid

import pytest
from structlog.testing import capture_logs

from argusai.llm.pricing import estimate_cost, is_priced, price_for


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", (0.15, 0.60)),
        ("openai/gpt-4o-mini", (0.15, 0.60)),
        ("gpt-4o-mini-2024-07-18", (0.15, 0.60)),
        ("GPT-4o", (2.50, 10.00)),
        ("gpt-4o-2024-08-06", (2.50, 10.00)),
        ("gpt-4.1", (2.00, 8.00)),
        ("openai/gpt-4.1-mini", (0.40, 1.60)),
        ("gpt-4.1-nano-2025-04-14", (0.10, 0.40)),
        ("o3-mini", (1.10, 4.40)),
        ("o4-mini", (1.10, 4.40)),
        ("o1-preview", (15.00, 60.00)),
        ("claude-sonnet-4-5-20250929", (3.00, 15.00)),
        ("claude-3-5-haiku-latest", (0.80, 4.00)),
        ("claude-haiku-4-5", (1.00, 5.00)),
        ("claude-opus-4-1", (15.00, 75.00)),
        ("claude-opus-4-5-20251101", (5.00, 25.00)),
    ],
)
def test_known_models(model: str, expected: tuple[float, float]) -> None:
    price = price_for(model)
    assert price is not None
    assert (price.input_per_m, price.output_per_m) == expected


def test_cost_is_per_million_tokens() -> None:
    assert estimate_cost("gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    assert estimate_cost("gpt-4o", 2000, 500) == pytest.approx(0.005 + 0.005)


@pytest.mark.parametrize(
    "model", ["llama3.1:8b", "my-azure-deployment", "gpt-4o-audio-preview-x", "claude-sonnet-9"]
)
def test_unknown_model_costs_nothing_and_is_flagged_once(model: str) -> None:
    model = f"{model}-{uuid.uuid4().hex[:8]}"  # the warning is once per process
    assert not is_priced(model)
    with capture_logs() as logs:
        assert estimate_cost(model, 10_000, 10_000) == 0.0
        assert estimate_cost(model, 10_000, 10_000) == 0.0
    assert [e["event"] for e in logs] == ["llm.price_unknown"]
    assert logs[0]["model"] == model
