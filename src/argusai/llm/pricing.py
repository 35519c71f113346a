"""Estimated USD cost of an LLM call from its token counts.

Prices are list prices per 1M tokens (input, output) as published by the providers
in 2025; they are estimates for dashboards and budgets, not invoices. GitHub Models
is free within its quotas, yet we still price its calls as the equivalent OpenAI
call so that reviews on different providers compare.

A model name is matched after dropping a ``publisher/`` prefix (GitHub Models
writes ``openai/gpt-4o-mini``) and lower-casing, against a known name it equals or
extends with a date, ``-latest`` or ``-preview`` (``gpt-4o-mini-2024-07-18`` →
``gpt-4o-mini``). Any other suffix is a different model (``claude-sonnet-4-6`` is not
``claude-sonnet-4``): an unknown model costs 0.0 and is flagged — ``is_priced()`` is
False and a warning is logged once per model — rather than priced by a guess.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ModelPrice:
    """USD per one million input and output tokens."""

    input_per_m: float
    output_per_m: float


PRICES: dict[str, ModelPrice] = {
    # OpenAI
    "gpt-4o-mini": ModelPrice(0.15, 0.60),
    "gpt-4o": ModelPrice(2.50, 10.00),
    "gpt-4.1": ModelPrice(2.00, 8.00),
    "gpt-4.1-mini": ModelPrice(0.40, 1.60),
    "gpt-4.1-nano": ModelPrice(0.10, 0.40),
    "gpt-5": ModelPrice(1.25, 10.00),
    "gpt-5-mini": ModelPrice(0.25, 2.00),
    "gpt-5-nano": ModelPrice(0.05, 0.40),
    "o1": ModelPrice(15.00, 60.00),
    "o1-mini": ModelPrice(1.10, 4.40),
    "o3": ModelPrice(2.00, 8.00),
    "o3-pro": ModelPrice(20.00, 80.00),
    "o3-mini": ModelPrice(1.10, 4.40),
    "o4-mini": ModelPrice(1.10, 4.40),
    # Anthropic
    "claude-3-haiku": ModelPrice(0.25, 1.25),
    "claude-3-5-haiku": ModelPrice(0.80, 4.00),
    "claude-haiku-4-5": ModelPrice(1.00, 5.00),
    "claude-3-5-sonnet": ModelPrice(3.00, 15.00),
    "claude-3-7-sonnet": ModelPrice(3.00, 15.00),
    "claude-sonnet-4": ModelPrice(3.00, 15.00),
    "claude-sonnet-4-0": ModelPrice(3.00, 15.00),
    "claude-sonnet-4-5": ModelPrice(3.00, 15.00),
    "claude-3-opus": ModelPrice(15.00, 75.00),
    "claude-opus-4": ModelPrice(15.00, 75.00),
    "claude-opus-4-0": ModelPrice(15.00, 75.00),
    "claude-opus-4-1": ModelPrice(15.00, 75.00),
    "claude-opus-4-5": ModelPrice(5.00, 25.00),
}

_warned: set[str] = set()
_warned_lock = threading.Lock()


_VERSION_SUFFIX = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2}|latest|preview)$")


def _normalise(model: str) -> str:
    return model.rsplit("/", 1)[-1].strip().lower()


def price_for(model: str) -> ModelPrice | None:
    """The price of ``model``, or None when it is not in the table."""
    name = _VERSION_SUFFIX.sub("", _normalise(model))
    return PRICES.get(name)


def is_priced(model: str) -> bool:
    """Whether ``model`` has a known price (False means its cost is reported as 0)."""
    return price_for(model) is not None


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """Estimated USD cost of one call; 0.0 (and a warning, once) for an unknown model."""
    price = price_for(model)
    if price is None:
        with _warned_lock:
            first = model not in _warned
            _warned.add(model)
        if first:
            log.warning("llm.price_unknown", model=model, cost_usd=0.0)
        return 0.0
    return (prompt_tokens * price.input_per_m + completion_tokens * price.output_per_m) / 1_000_000
