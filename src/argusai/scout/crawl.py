"""The crawl: sources → repositories → issues, within a request budget, resumable by cursor.

A run walks the configured sources in order and each source's repositories in list
order, up to ``max_in_flight`` repositories at a time; results are written in list
order, one transaction per repository that also stores the run's cursor (see
``cursor``) — so a run killed midway resumes from its last write. When the budget (or
GitHub's rate limit) is spent, the run ends with outcome ``budget`` and asks for its
continuation, which resumes exactly at the cursor: each repository cut off at its next
request, none fetched twice.

A repository (or a source's list) that cannot be read — a 5xx, a refusal, a redirect
to another host — leaves the catalogue as it was and is recorded in ``skipped``; the
run that ends the chain is then ``partial`` instead of ``done``, with the skipped
repositories on its row (``scout_runs.skipped``). They are retried by the next run,
which crawls every repository again (conditionally: unchanged ones cost a 304).

New and changed items are marked ``pending`` and handed to ``enqueue(kind, id,
priority)`` after their commit; unchanged items are never queued. Closed or assigned
issues are deleted from the catalogue (see ``apply``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import structlog

from argusai.errors import ArgusError, GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.scout import runs
from argusai.scout.budget import Budget, BudgetSpent
from argusai.scout.configured import configured_sources
from argusai.scout.crawl_env import CrawlEnv
from argusai.scout.fetch import Fetcher
from argusai.scout.runlog import RunLog, run_log_path
from argusai.scout.source_walk import SourceWalk

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CrawlReport:
    """How a run ended."""

    run_id: int
    outcome: str
    requests: int
    not_modified: int
    queued: int
    cursor: dict[str, Any] | None
    log_path: str
    continued: bool = False
    error: str | None = None
    skipped: tuple[dict[str, Any], ...] = ()  # {source, repo, error}: not read in this chain


def run_crawl(
    env: CrawlEnv,
    *,
    source: str | None = None,
    budget: int | None = None,
    unlimited: bool = False,
    parent_run_id: int | None = None,
) -> CrawlReport:
    """One run (or the continuation of ``parent_run_id``); budget defaults to the setting."""
    limit = None if unlimited else (budget or env.settings.scout_request_budget)
    run = runs.start_run(env.db, source=source, budget=limit or 0, parent=parent_run_id)
    path = run_log_path(env.settings.data_dir, run.id, run.started_at)
    runs.set_log_path(env.db, run.id, str(path))
    counter = Budget(limit)
    with RunLog(path) as runlog:
        runlog.write(
            {
                "event": "start",
                "run": run.id,
                "parent": parent_run_id,
                "source": run.source,
                "budget": limit,
                "cursor": run.cursor,
            }
        )
        fetcher = Fetcher(
            env.settings.github_api_url,
            env.identity.token_for,
            counter,
            max_in_flight=env.settings.scout_max_in_flight,
            api_version=env.settings.github_api_version,
            on_request=runlog.write,
            transport=env.transport,
        )
        try:
            report = _walk(env, run.id, run.source, run.cursor, counter, fetcher, runlog)
        except Exception as exc:
            runlog.write({"event": "failed", "error": f"{type(exc).__name__}: {exc}"})
            runs.finish_run(env.db, run.id, runs.FAILED, counter, 0, error=str(exc)[:500])
            raise
        finally:
            fetcher.close()
        runlog.write({"event": "end", **report})
    outcome, cursor, queued = report["outcome"], report["cursor"], report["queued"]
    skipped = report["skipped"]
    runs.finish_run(env.db, run.id, outcome, counter, queued, skipped=skipped)
    continued = False
    if outcome == runs.BUDGET and env.schedule_continuation is not None:
        if cursor != run.cursor:
            env.schedule_continuation(run.id, float(report.get("delay") or 0))
            continued = True
        else:
            log.warning("scout run made no progress; not continuing", run_id=run.id, budget=limit)
    return CrawlReport(
        run.id,
        outcome,
        counter.used,
        counter.not_modified,
        queued,
        cursor,
        str(path),
        continued,
        skipped=tuple(skipped),
    )


def _walk(
    env: CrawlEnv,
    run_id: int,
    only: str | None,
    cursor: dict[str, Any] | None,
    counter: Budget,
    fetcher: Fetcher,
    runlog: RunLog,
) -> dict[str, Any]:
    specs = configured_sources(env.db, env.settings.scout_sources, only=only)
    names = [s.name for s in specs]
    if cursor is not None and cursor.get("source") not in names:
        runlog.write({"event": "cursor_dropped", "cursor": cursor, "reason": "source gone"})
        cursor = None
    start = names.index(cursor["source"]) if cursor else 0
    now = runs.chain_started(env.db, run_id)
    skipped: list[dict[str, Any]] = list((cursor or {}).get("skipped") or [])
    queued = 0
    workers = env.settings.scout_max_in_flight
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scout") as pool:
        for spec in specs[start:]:
            here = cursor if cursor and cursor["source"] == spec.name else None
            walk = SourceWalk(
                env,
                run_id,
                spec,
                here or {"source": spec.name, "position": 0},
                counter,
                fetcher,
                runlog,
                now,
                skipped,
            )
            try:
                stopped = walk.run(pool)
            except BudgetSpent:
                stopped = walk.cursor
            except GitHubRateLimited as exc:
                return _stop(walk.cursor, queued + walk.queued, exc, skipped)
            except (GitHubError, GitHubTransientError) as exc:
                # the list could not be read: its repositories keep what the catalogue has
                runlog.write({"event": "source_failed", "source": spec.name, "error": str(exc)})
                log.warning("scout source failed", source=spec.name, error=str(exc))
                skipped.append({"source": spec.name, "repo": None, "error": str(exc)[:300]})
                stopped = None
            queued += walk.queued
            if stopped is not None:
                return {
                    "outcome": runs.BUDGET,
                    "cursor": stopped,
                    "queued": queued,
                    "delay": walk.retry_after,
                    "skipped": skipped,
                }
            cursor = None
    outcome = runs.PARTIAL if skipped else runs.DONE
    return {"outcome": outcome, "cursor": None, "queued": queued, "skipped": skipped}


def _stop(
    cursor: dict[str, Any], queued: int, exc: ArgusError, skipped: list[dict[str, Any]]
) -> dict[str, Any]:
    delay = getattr(exc, "retry_after", None) or 60.0
    return {
        "outcome": runs.BUDGET,
        "cursor": cursor,
        "queued": queued,
        "delay": delay,
        "skipped": skipped,
    }
