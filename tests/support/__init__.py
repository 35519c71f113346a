"""Test support: the app in this process (``runtime``) and the one fake world (``world``)."""

from tests.support.runtime import (
    WEBHOOK_SECRET,
    app_client,
    deliver,
    drain,
    load_fixture,
    make_runtime,
    worker_queue,
)
from tests.support.world import APP_ID, LLM_KEY, FakeWorld, open_world

__all__ = [
    "APP_ID",
    "LLM_KEY",
    "WEBHOOK_SECRET",
    "FakeWorld",
    "app_client",
    "deliver",
    "drain",
    "load_fixture",
    "make_runtime",
    "open_world",
    "worker_queue",
]
