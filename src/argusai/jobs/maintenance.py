"""Periodic maintenance tasks (Huey periodic tasks) registered beside the review task."""

from __future__ import annotations

from collections.abc import Callable

from huey import Huey

from argusai.jobs.runtime import Runtime


def register_maintenance(huey: Huey, get_runtime: Callable[[], Runtime]) -> None:
    """Declare the periodic maintenance tasks on ``huey``."""
    del huey, get_runtime  # none yet; the sweeper runs as a thread in each worker
