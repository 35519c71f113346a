"""One source within a run: dispatch repositories in order, apply results in order."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import delete, select

from argusai.errors import ArgusError, GitHubRateLimited
from argusai.scout import runs
from argusai.scout.apply import apply_fetch
from argusai.scout.budget import Budget
from argusai.scout.configured import SourceSpec
from argusai.scout.fetch import Fetcher
from argusai.scout.listing import load_source
from argusai.scout.models import ScoutRepository
from argusai.scout.repo_fetch import Known, RepoFetch, fetch_repo, requests_to_start
from argusai.scout.runlog import RunLog
from argusai.scout.sources.base import RepoRef

if TYPE_CHECKING:
    from argusai.scout.crawl import CrawlEnv

log = structlog.get_logger(__name__)


class SourceWalk:
    """Crawl one source from ``cursor``; ``run`` returns the stop cursor, or None when done."""

    def __init__(
        self, env: CrawlEnv, run_id: int, spec: SourceSpec, cursor: dict[str, Any],
        budget: Budget, fetcher: Fetcher, runlog: RunLog, now: datetime,
    ) -> None:
        self.env, self.run_id, self.spec, self.cursor = env, run_id, spec, dict(cursor)
        self.budget, self.fetcher, self.runlog, self.now = budget, fetcher, runlog, now
        self.queued = 0
        self.retry_after: float | None = None
        self.total = 0

    def run(self, pool: Executor) -> dict[str, Any] | None:
        """Walk the source; BudgetSpent propagates when its list cannot even be fetched."""
        repos = load_source(self.env.db, self.fetcher, self.env.identity, self.spec,
                            self.runlog.write).repos
        self.total = len(repos)
        position, page = self._resume_point(repos)
        known = self._known()
        inflight: dict[int, Future[RepoFetch]] = {}
        done: dict[int, RepoFetch | None] = {}
        next_pos, apply_pos = position, position
        stop: dict[str, Any] | None = None
        dispatching = True
        while apply_pos < len(repos) and (inflight or done or dispatching):
            while dispatching and next_pos < len(repos) and len(inflight) < self._slots():
                ref, first = repos[next_pos], page if next_pos == position else 0
                owner = known.get(ref.full_name, (None, Known()))[0]
                if owner not in (None, self.spec.name):
                    self.runlog.write({"event": "skip", "repo": ref.full_name,
                                       "reason": f"listed by source {owner}"})
                    done[next_pos] = None
                elif not self.budget.acquire(requests_to_start(first)):
                    dispatching = False
                    break
                else:
                    inflight[next_pos] = pool.submit(
                        self._fetch, ref, known.get(ref.full_name, (None, Known()))[1], first)
                next_pos += 1
            if inflight and apply_pos not in done:
                finished, _ = wait(list(inflight.values()), return_when=FIRST_COMPLETED)
                for pos in [p for p, f in inflight.items() if f in finished]:
                    done[pos] = inflight.pop(pos).result()
            while apply_pos in done:
                fetched = done.pop(apply_pos)
                if fetched is not None and not fetched.complete:
                    dispatching = False
                stop = self._apply(apply_pos, fetched, stop)
                apply_pos += 1
            if not dispatching and not inflight and apply_pos not in done:
                break
        if stop is None and apply_pos < len(repos):
            stop = self._cursor(apply_pos, 0, repos[apply_pos].full_name)
        if stop is None:
            self._forget_delisted(repos)
        return stop

    def _slots(self) -> int:
        return self.env.settings.scout_max_in_flight

    def _fetch(self, ref: RepoRef, known: Known, first: int) -> RepoFetch:
        carried = self.cursor.get("issues_etag") if first > 1 else None
        try:
            fetched = fetch_repo(self.fetcher, ref, known, first)
        except GitHubRateLimited as exc:
            self.retry_after = exc.retry_after or 60.0
            self.runlog.write({"event": "rate_limited", "repo": ref.full_name})
            return RepoFetch(ref, first, next_page=first)
        except ArgusError as exc:
            self.runlog.write({"event": "skip", "repo": ref.full_name, "reason": str(exc)})
            return RepoFetch(ref, first, complete=True)
        if first > 1 and fetched.first_page_etag is None:
            fetched = replace(fetched, first_page_etag=carried)
        return fetched

    def _apply(
        self, pos: int, fetched: RepoFetch | None, stop: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        """Write one result and the cursor in one transaction; enqueue after the commit."""
        queued: list[tuple[str, int, int]] = []
        with self.env.db.session() as session:
            if fetched is not None:
                resumed = pos == self.cursor.get("position") and fetched.start_page > 0
                seen = set(self.cursor.get("seen") or []) if resumed else set()
                queued = apply_fetch(session, fetched, self.spec.name, self.now, seen,
                                     self.runlog.write).queued
                if not fetched.complete and stop is None:
                    stop = self._cursor(pos, fetched.next_page, fetched.ref.full_name,
                                        seen=sorted(seen), issues_etag=fetched.first_page_etag)
            cursor = stop or self._cursor(pos + 1, 0, None)
            runs.save_progress(session, self.run_id, cursor, self.budget,
                               self.queued + len(queued))
        for kind, item_id, priority in queued:
            self._enqueue(kind, item_id, priority)
        if self.env.progress is not None:
            self.env.progress(self.spec.name, pos + 1, self.total)
        return stop

    def _enqueue(self, kind: str, item_id: int, priority: int) -> None:
        self.queued += 1
        self.runlog.write({"event": "queued", "kind": kind, "id": item_id, "priority": priority})
        try:
            self.env.enqueue(kind, item_id, priority)
        except Exception as exc:  # noqa: BLE001 - the row stays pending for a later dispatch
            log.warning("scout enqueue failed; item stays pending", kind=kind, id=item_id,
                        error=type(exc).__name__)

    def _cursor(self, position: int, page: int, full_name: str | None,
                **extra: Any) -> dict[str, Any]:
        return {"source": self.spec.name, "position": position, "page": page,
                "full_name": full_name, **extra}

    def _resume_point(self, repos: list[RepoRef]) -> tuple[int, int]:
        position, page = int(self.cursor.get("position", 0)), int(self.cursor.get("page", 0))
        name = self.cursor.get("full_name")
        if name and not (position < len(repos) and repos[position].full_name == name):
            found = [i for i, r in enumerate(repos) if r.full_name == name]
            position, page = (found[0], page) if found else (min(position, len(repos)), 0)
        self.cursor["position"] = position
        return position, page

    def _known(self) -> dict[str, tuple[str, Known]]:
        with self.env.db.session() as session:
            rows = session.execute(select(
                ScoutRepository.full_name, ScoutRepository.source, ScoutRepository.etag,
                ScoutRepository.issues_etag, ScoutRepository.archived))
            return {r[0]: (r[1], Known(r[2], r[3], bool(r[4]))) for r in rows}

    def _forget_delisted(self, repos: list[RepoRef]) -> None:
        """The whole list was walked: repositories it no longer names leave the catalogue."""
        listed = {r.full_name for r in repos}
        with self.env.db.session() as session:
            gone = [n for n in session.scalars(select(ScoutRepository.full_name).where(
                ScoutRepository.source == self.spec.name)) if n not in listed]
            if gone:
                session.execute(delete(ScoutRepository).where(ScoutRepository.full_name.in_(gone)))
        for name in gone:
            self.runlog.write({"event": "removed", "kind": "repository", "repo": name,
                               "reason": "no longer listed"})
