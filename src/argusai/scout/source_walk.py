"""One source within a run: dispatch repositories in order, apply results in order.

Each result is written with the cursor (see ``cursor``) in one transaction. A repository
cut off midway (budget, rate limit) goes into the cursor with its next step; the ones
fetched beside it are written and never fetched again by the continuation. A repository
that failed is written nowhere: it is recorded in ``skipped`` and the run ends
``partial``. Repositories seen gone lately are not asked for; moved ones are asked for
under their new name (see ``gone``).
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import replace
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import delete, select

from argusai.scout import gone, runs
from argusai.scout.apply import apply_fetch
from argusai.scout.budget import Budget
from argusai.scout.configured import SourceSpec
from argusai.scout.crawl_env import CrawlEnv
from argusai.scout.cursor import Step, cursor_at, steps_from
from argusai.scout.fetch import Fetcher
from argusai.scout.listing import load_source
from argusai.scout.models import ScoutRepository
from argusai.scout.repo_fetch import Known, RepoFetch, fetch_repo, requests_to_start
from argusai.scout.runlog import RunLog
from argusai.scout.sources.base import RepoRef

log = structlog.get_logger(__name__)


class SourceWalk:
    """Crawl one source from ``cursor``; ``run`` returns the stop cursor, or None when done.

    ``skipped`` is the run's list of failures, appended to and stored in every cursor.
    """

    def __init__(
        self,
        env: CrawlEnv,
        run_id: int,
        spec: SourceSpec,
        cursor: dict[str, Any],
        budget: Budget,
        fetcher: Fetcher,
        runlog: RunLog,
        now: datetime,
        skipped: list[dict[str, Any]],
    ) -> None:
        self.env, self.run_id, self.spec = env, run_id, spec
        self.cursor = {**cursor, "skipped": skipped}
        self.budget, self.fetcher, self.runlog, self.now = budget, fetcher, runlog, now
        self.skipped = skipped
        self.queued = 0
        self.retry_after: float | None = None
        self._names: list[str] = []
        self._steps: list[Step] = []
        self._cut: list[Step] = []

    def run(self, pool: Executor) -> dict[str, Any] | None:
        """Walk the source; BudgetSpent propagates when its list cannot even be fetched."""
        repos = load_source(
            self.env.db, self.fetcher, self.env.identity, self.spec, self.runlog.write
        ).repos
        self._names = [r.full_name for r in repos]
        self._steps = steps = steps_from(self.cursor, self._names)
        marks, known = gone.load_marks(self.env.db), self._known()
        inflight: dict[int, Future[RepoFetch]] = {}
        done: dict[int, RepoFetch | None] = {}
        asked: set[str] = set()
        next_i = applied = 0
        dispatching = True
        while applied < len(steps):
            while dispatching and next_i < len(steps) and len(inflight) < self._slots():
                step = steps[next_i]
                ref = self._target(repos[step.position], marks, known, asked)
                if ref is None:
                    done[next_i] = None
                elif not self.budget.acquire(requests_to_start(step.page)):
                    dispatching = False
                    break
                else:
                    have = known.get(ref.full_name, (None, Known()))[1]
                    inflight[next_i] = pool.submit(self._fetch, ref, have, step)
                next_i += 1
            if applied not in done:
                if not inflight:
                    break  # the budget stopped dispatching and everything is written
                finished, _ = wait(list(inflight.values()), return_when=FIRST_COMPLETED)
                for i in [i for i, f in inflight.items() if f in finished]:
                    done[i] = inflight.pop(i).result()
            while applied in done:
                fetched = done.pop(applied)
                if fetched is not None and not fetched.complete and fetched.failed is None:
                    dispatching = False  # cut off: budget or rate limit spent
                self._apply(applied, fetched)
                applied += 1
        if applied == len(steps) and not self._cut:
            self._forget_delisted(repos)
            return None
        return self._cursor(applied)

    def _slots(self) -> int:
        return self.env.settings.scout_max_in_flight

    def _target(
        self,
        listed: RepoRef,
        marks: dict[str, gone.Mark],
        known: dict[str, tuple[str, Known]],
        asked: set[str],
    ) -> RepoRef | None:
        """The repository to ask for ``listed`` (its current name), None to skip it."""
        until = gone.gone_until(listed, marks, self.now)
        ref = gone.current(listed, marks)
        owner = known.get(ref.full_name, (None, Known()))[0]
        reason = None
        if until is not None:
            reason = f"gone on GitHub; asked again after {until:%Y-%m-%d %H:%M}"
        elif owner not in (None, self.spec.name):
            reason = f"listed by source {owner}"
        elif ref.full_name.lower() in asked:
            reason = f"{ref.full_name} is listed twice (moved)"
        if reason is not None:
            self.runlog.write({"event": "skip", "repo": listed.full_name, "reason": reason})
            return None
        asked.add(ref.full_name.lower())
        return ref

    def _fetch(self, ref: RepoRef, known: Known, step: Step) -> RepoFetch:
        fetched = fetch_repo(self.fetcher, ref, known, step.page)
        if fetched.retry_after is not None:
            self.retry_after = fetched.retry_after
            self.runlog.write({"event": "rate_limited", "repo": ref.full_name})
        if step.page > 1 and fetched.first_page_etag is None:
            fetched = replace(fetched, first_page_etag=step.issues_etag)
        return fetched

    def _apply(self, index: int, fetched: RepoFetch | None) -> None:
        """Write one result and the cursor in one transaction; enqueue after the commit."""
        step = self._steps[index]
        queued: list[tuple[str, int, int]] = []
        with self.env.db.session() as session:
            if fetched is not None and fetched.failed is not None:
                self._skip(step, fetched.failed)
            elif fetched is not None:
                seen = set(step.seen) if fetched.start_page > 0 else set()
                queued = apply_fetch(
                    session, fetched, self.spec.name, self.now, seen, self.runlog.write
                ).queued
                gone.remember(session, step.full_name, fetched, self.now)
                if not fetched.complete:
                    self._cut.append(
                        Step(
                            step.position,
                            step.full_name,
                            fetched.next_page,
                            tuple(sorted(seen)),
                            fetched.first_page_etag,
                            True,
                        )
                    )
            runs.save_progress(
                session,
                self.run_id,
                self._cursor(index + 1),
                self.budget,
                self.queued + len(queued),
            )
        for kind, item_id, priority in queued:
            self._enqueue(kind, item_id, priority)
        if self.env.progress is not None:
            self.env.progress(self.spec.name, index + 1, len(self._steps))

    def _skip(self, step: Step, error: str) -> None:
        self.skipped.append({"source": self.spec.name, "repo": step.full_name, "error": error})
        self.runlog.write(
            {"event": "skip", "repo": step.full_name, "reason": error, "retried": "by the next run"}
        )
        log.warning("scout repository skipped", repo=step.full_name, error=error)

    def _cursor(self, applied: int) -> dict[str, Any]:
        return cursor_at(self.spec.name, self._names, self._steps, applied, self._cut, self.skipped)

    def _enqueue(self, kind: str, item_id: int, priority: int) -> None:
        self.queued += 1
        self.runlog.write({"event": "queued", "kind": kind, "id": item_id, "priority": priority})
        try:
            self.env.enqueue(kind, item_id, priority)
        except Exception as exc:  # noqa: BLE001 - the row stays pending for a later dispatch
            log.warning(
                "scout enqueue failed; item stays pending",
                kind=kind,
                id=item_id,
                error=type(exc).__name__,
            )

    def _known(self) -> dict[str, tuple[str, Known]]:
        with self.env.db.session() as session:
            rows = session.execute(
                select(
                    ScoutRepository.full_name,
                    ScoutRepository.source,
                    ScoutRepository.etag,
                    ScoutRepository.issues_etag,
                    ScoutRepository.archived,
                )
            )
            return {r[0]: (r[1], Known(r[2], r[3], bool(r[4]))) for r in rows}

    def _forget_delisted(self, repos: list[RepoRef]) -> None:
        """The whole list was walked: repositories it no longer names leave the catalogue."""
        marks = gone.load_marks(self.env.db)
        listed = {gone.current(r, marks).full_name for r in repos}
        with self.env.db.session() as session:
            names = session.scalars(
                select(ScoutRepository.full_name).where(ScoutRepository.source == self.spec.name)
            )
            delisted = [n for n in names if n not in listed]
            if delisted:
                session.execute(
                    delete(ScoutRepository).where(ScoutRepository.full_name.in_(delisted))
                )
        for name in delisted:
            self.runlog.write(
                {
                    "event": "removed",
                    "kind": "repository",
                    "repo": name,
                    "reason": "no longer listed",
                }
            )
