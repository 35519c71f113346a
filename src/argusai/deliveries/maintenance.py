"""Periodic maintenance tasks (Huey periodic tasks): asking GitHub to redeliver failures."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import cast

import structlog
from huey import Huey, crontab

from argusai.deliveries.redeliver import DEFAULT_SCAN_LIMIT, DeliveryLog, RedeliveryReport
from argusai.errors import ArgusError
from argusai.runtime import Runtime

log = structlog.get_logger(__name__)

REDELIVER_TASK = "argus.redeliver_failed"
#: how often failed deliveries are looked for (GitHub keeps them redeliverable for 3 days)
REDELIVER_SCHEDULE = crontab(minute="*/10")


_registered: weakref.WeakSet[Huey] = weakref.WeakSet()


def register_maintenance(huey: Huey, get_runtime: Callable[[], Runtime]) -> None:
    """Declare the periodic maintenance tasks on ``huey`` (once per Huey).

    The sweeper is not one of them: it runs as a thread in each worker.
    """
    if huey in _registered:
        return
    _registered.add(huey)

    @huey.periodic_task(REDELIVER_SCHEDULE, name=REDELIVER_TASK)  # type: ignore[untyped-decorator]
    def redeliver_task() -> None:
        run_redelivery(get_runtime())


def run_redelivery(rt: Runtime) -> RedeliveryReport | None:
    """One redelivery pass (the periodic task; also for tests and the CLI); None if skipped."""
    from argusai.deliveries.redeliver import redeliver_failed

    if not getattr(rt.settings, "redelivery_enabled", True):
        return None
    if rt.settings.github_app_id is None or rt.settings.github_webhook_secret is None:
        log.debug("redelivery skipped: the GitHub App is not configured")
        return None
    limit = int(getattr(rt.settings, "redelivery_scan_limit", DEFAULT_SCAN_LIMIT))
    try:
        # GitHubApp implements the App-level delivery calls beside the port's methods
        github = cast(DeliveryLog, rt.github)
        return redeliver_failed(rt.db, github, limit=limit)
    except ArgusError as exc:
        # GitHub down, rate limited or the App misconfigured: the next run tries again
        log.warning("redelivery run failed", error=type(exc).__name__, detail=str(exc)[:300])
        return None
