"""The hourly cleanup (seed 000's "0 * * * *" cron), a Huey periodic task in every worker.

Several workers each run it: the runs are idempotent (every DELETE checks its rows again),
so a second one finds little to do.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable

import structlog
from huey import Huey, crontab

from argusai.retention.prune import Pruned, prune
from argusai.retention.rules import rules
from argusai.runtime import Runtime
from argusai.telemetry.metrics import telemetry

log = structlog.get_logger(__name__)

RETENTION_TASK = "argus.retention"
#: hourly, off the top of the hour (where the other housekeeping and crons pile up)
RETENTION_SCHEDULE = crontab(minute="23")

_registered: weakref.WeakSet[Huey] = weakref.WeakSet()


def register_retention(huey: Huey, get_runtime: Callable[[], Runtime]) -> None:
    """Declare the hourly cleanup on ``huey`` (once per Huey)."""
    if huey in _registered:
        return
    _registered.add(huey)

    @huey.periodic_task(RETENTION_SCHEDULE, name=RETENTION_TASK)  # type: ignore[untyped-decorator]
    def retention_task() -> None:
        run_retention(get_runtime())


def run_retention(rt: Runtime) -> list[Pruned] | None:
    """One cleanup pass (the periodic task); None when ``ARGUS_RETENTION_ENABLED`` is off."""
    settings = rt.settings
    if not settings.retention_enabled:
        return None
    started = time.monotonic()
    done = prune(
        rt.db,
        rules(settings),
        batch_size=settings.retention_batch_size,
        files_root=settings.data_dir,
    )
    metrics = telemetry()
    for kind in done:
        metrics.pruned(kind.kind, kind.rows)
    metrics.retention_last_run.set(time.time())
    log.info(
        "retention.done",
        rows=sum(k.rows for k in done),
        seconds=round(time.monotonic() - started, 2),
    )
    return done
