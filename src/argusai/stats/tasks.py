"""The hourly rollup as a Huey periodic task."""

from __future__ import annotations

import weakref
from collections.abc import Callable

import structlog
from huey import Huey, crontab
from sqlalchemy.exc import SQLAlchemyError

from argusai.runtime import Runtime
from argusai.stats.rollup import RollupReport, rollup_recent

log = structlog.get_logger(__name__)

ROLLUP_TASK = "argus.stats_rollup"
#: a few minutes past the hour: after the hour's reviews, away from other hourly jobs
ROLLUP_SCHEDULE = crontab(minute="7")

_registered: weakref.WeakSet[Huey] = weakref.WeakSet()


def register_stats_tasks(huey: Huey, get_runtime: Callable[[], Runtime]) -> None:
    """Declare the hourly rollup on ``huey`` (once per Huey)."""
    if huey in _registered:
        return
    _registered.add(huey)

    @huey.periodic_task(ROLLUP_SCHEDULE, name=ROLLUP_TASK)  # type: ignore[untyped-decorator]
    def rollup_task() -> None:
        run_rollup(get_runtime())


def run_rollup(rt: Runtime) -> RollupReport | None:
    """One pass of the hourly job; None when the database failed (the next hour tries again)."""
    try:
        report = rollup_recent(rt.db)
    except SQLAlchemyError as exc:
        log.warning("stats rollup failed", error=type(exc).__name__, detail=str(exc)[:300])
        return None
    log.info("stats rolled up", days=len(report.days), rows=report.rows)
    return report
