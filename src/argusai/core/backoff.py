"""Exponential backoff with jitter."""

from __future__ import annotations

import random


def backoff_seconds(attempt: int, base: float, cap: float = 900.0) -> float:
    """The wait before the ``attempt``-th retry: ``base·2^(attempt-1)``, capped, ±20 % jitter."""
    delay: float = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not crypto
