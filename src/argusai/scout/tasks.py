"""Huey tasks of the crawl: the periodic crawl (``ARGUS_SCOUT_CRON``) and its continuation."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from huey import Huey, crontab

from argusai.errors import ConfigError
from argusai.runtime import Runtime
from argusai.scout.alerts import notify_finished
from argusai.scout.crawl import CrawlReport, run_crawl
from argusai.scout.crawl_env import CrawlEnv, Enqueue

log = structlog.get_logger(__name__)

CRAWL_TASK = "argus.scout.crawl"
CONTINUE_TASK = "argus.scout.continue"


def cron_schedule(expression: str) -> Callable[[Any], bool]:
    """A Huey crontab from five cron fields (``"0 6,18 * * *"``)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ConfigError(f"ARGUS_SCOUT_CRON: expected 5 fields, got {expression!r}")
    minute, hour, day, month, day_of_week = fields
    schedule: Callable[[Any], bool] = crontab(
        minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week
    )
    return schedule


def queue_enqueue(rt: Runtime) -> Enqueue:
    """The crawl's ``enqueue(kind, item_id, priority)``: one message on the work queue,
    unless the item is already processed for its current metadata hash."""
    from argusai.scout.process_kind import WORK_KINDS
    from argusai.scout.process_state import settle_if_done

    def enqueue(kind: str, item_id: int, priority: int) -> None:
        if settle_if_done(rt.db, kind, item_id):
            log.debug("scout item unchanged; not queued", kind=kind, item_id=item_id)
            return
        rt.queue.dispatch(WORK_KINDS[kind], item_id, priority=priority)

    return enqueue


@dataclass
class CrawlTasks:
    """Handles of the crawl tasks."""

    crawl: Any
    continue_run: Any


_registered: weakref.WeakKeyDictionary[Huey, CrawlTasks] = weakref.WeakKeyDictionary()


def register_scout_tasks(
    huey: Huey, get_runtime: Callable[[], Runtime], enqueue: Enqueue | None = None
) -> CrawlTasks:
    """Declare the periodic crawl and its continuation on ``huey`` (once per Huey).

    ``enqueue`` defaults to :func:`queue_enqueue` (the work queue).
    """
    if huey in _registered:
        return _registered[huey]
    # the cron is read when the worker registers its tasks, not at import
    schedule = cron_schedule(get_runtime().settings.scout_cron)
    holder: dict[str, CrawlTasks] = {}

    @huey.periodic_task(schedule, name=CRAWL_TASK)  # type: ignore[untyped-decorator]
    def crawl_task() -> None:
        crawl_now(get_runtime(), holder["tasks"], enqueue)

    @huey.task(name=CONTINUE_TASK)  # type: ignore[untyped-decorator]
    def continue_task(parent_run_id: int) -> None:
        crawl_now(get_runtime(), holder["tasks"], enqueue, parent_run_id=parent_run_id)

    tasks = CrawlTasks(crawl=crawl_task, continue_run=continue_task)
    holder["tasks"] = tasks
    _registered[huey] = tasks
    return tasks


def crawl_now(
    rt: Runtime,
    tasks: CrawlTasks,
    enqueue: Enqueue | None = None,
    *,
    parent_run_id: int | None = None,
    source: str | None = None,
    budget: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> CrawlReport:
    """Run a crawl now (resuming an interrupted one unless told which run to continue)."""
    from argusai.scout.auth import crawl_identity
    from argusai.scout.runs import interrupted_run

    if parent_run_id is None and source is None:
        parent_run_id = interrupted_run(rt.db)

    def schedule(run_id: int, delay: float) -> None:
        if delay > 0:
            tasks.continue_run.schedule(args=(run_id,), delay=delay)
        else:
            tasks.continue_run(run_id)

    env = CrawlEnv(
        db=rt.db,
        settings=rt.settings,
        identity=crawl_identity(rt),
        enqueue=enqueue or queue_enqueue(rt),
        schedule_continuation=schedule,
        progress=progress,
    )
    report = run_crawl(env, source=source, budget=budget, parent_run_id=parent_run_id)
    log.info(
        "scout run finished",
        run_id=report.run_id,
        outcome=report.outcome,
        requests=report.requests,
        not_modified=report.not_modified,
        queued=report.queued,
        skipped=len(report.skipped),
    )
    notify_finished(rt, report)
    return report
