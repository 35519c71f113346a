"""Scout processing jobs (seed 004's data-service): enrich each changed item, summarise it.

Contract with the crawl: it sets ``processing_status="pending"`` and ``priority`` on the
rows it found new or changed, then calls ``enqueue(kind, item_id, priority)`` (kind
``"repository"`` | ``"issue"``; a higher priority runs first). An item whose stored
answer was made for its current ``metadata_hash`` gets no job and no LLM call.

At the job boundary: TransientError → pending again, retried with backoff, then failed +
dead letter (``scout_repository`` / ``scout_issue``); PermanentError → failed with its
message; any other exception → failed + dead letter.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from huey import Huey, crontab

from argusai.errors import PermanentError, TransientError
from argusai.jobs.runtime import Runtime
from argusai.jobs.workitems import backoff_seconds
from argusai.scout import process_state as state
from argusai.scout.auth import ANONYMOUS_WARNING, CrawlIdentity, crawl_identity, has_credentials
from argusai.scout.enrich import open_github
from argusai.scout.models import ScoutIssue, ScoutRepository
from argusai.scout.summarise import (
    IssueFacts,
    RepoFacts,
    analyse_issue,
    stored,
    summarise_repository,
)

log = structlog.get_logger(__name__)

PROCESS_TASK = "argus.scout.process"
SWEEP_TASK = "argus.scout.sweep"
#: a pending item untouched this long has probably lost its queue message
PENDING_REDISPATCH_AFTER = timedelta(hours=1)

Enqueue = Callable[[str, int, int], None]


@dataclass
class ScoutTasks:
    """Handles to queue processing; the same task names in every process."""

    huey: Huey
    process: Any
    get_runtime: Callable[[], Runtime]
    _identity: CrawlIdentity | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def identity(self) -> CrawlIdentity:
        """The crawl's credentials, built once (it caches the App's default installation)."""
        with self._lock:
            if self._identity is None:
                self._identity = crawl_identity(self.get_runtime())
            return self._identity

    def enqueue(self, kind: str, item_id: int, priority: int = 0) -> None:
        """Queue one item unless it is already processed for its current metadata hash."""
        state.model_for(kind)
        if state.settle_if_done(self.get_runtime().db, kind, item_id):
            log.debug("scout item unchanged; not queued", kind=kind, item_id=item_id)
            return
        self.dispatch(kind, item_id, priority)

    def dispatch(self, kind: str, item_id: int, priority: int = 0, delay: float = 0) -> bool:
        """Send the message; on a queue failure the item stays pending for the sweep."""
        try:
            if delay > 0:
                self.process.schedule(args=(kind, item_id), delay=delay, priority=priority)
            else:
                self.process(kind, item_id, priority=priority)
        except Exception as exc:  # noqa: BLE001 - any queue failure leaves the item to the sweep
            log.warning("scout enqueue failed", kind=kind, item_id=item_id, error=repr(exc)[:200])
            return False
        return True


_registered: weakref.WeakKeyDictionary[Huey, ScoutTasks] = weakref.WeakKeyDictionary()


def register_processing_tasks(huey: Huey, get_runtime: Callable[[], Runtime]) -> ScoutTasks:
    """Declare the processing task and its sweep on ``huey`` (once; later calls reuse it)."""
    if huey in _registered:
        return _registered[huey]
    holder: dict[str, ScoutTasks] = {}

    @huey.task(name=PROCESS_TASK)  # type: ignore[untyped-decorator]
    def process_task(kind: str, item_id: int) -> None:
        process_item(get_runtime(), holder["tasks"], kind, item_id)

    @huey.periodic_task(crontab(minute="*/10"), name=SWEEP_TASK)  # type: ignore[untyped-decorator]
    def sweep_task() -> None:
        sweep(get_runtime(), holder["tasks"])

    tasks = ScoutTasks(huey=huey, process=process_task, get_runtime=get_runtime)
    holder["tasks"] = tasks
    _registered[huey] = tasks
    if not has_credentials(get_runtime().settings):
        log.warning(ANONYMOUS_WARNING)
    return tasks


def make_enqueue(huey: Huey) -> Enqueue:
    """The crawl's ``enqueue(kind, item_id, priority)`` for a Huey with the tasks registered."""
    tasks = _registered.get(huey)
    if tasks is None:
        raise RuntimeError("register_processing_tasks(huey, …) must be called before enqueueing")
    return tasks.enqueue


def sweep(rt: Runtime, tasks: ScoutTasks) -> int:
    """Re-dispatch items whose message was lost or whose worker died; returns the count."""
    items = state.stale_items(
        rt.db,
        pending_after=PENDING_REDISPATCH_AFTER,
        lease=timedelta(seconds=rt.settings.job_lease_seconds),
    )
    sent = sum(1 for kind, item_id, priority in items if tasks.dispatch(kind, item_id, priority))
    if sent:
        log.info("scout sweep dispatched items", count=sent)
    return sent


def process_item(rt: Runtime, tasks: ScoutTasks, kind: str, item_id: int) -> None:
    """Run one item and map its outcome to the processing state."""
    claimed = state.claim(rt.db, kind, item_id, rt.settings.job_lease_seconds)
    if claimed is None:
        log.info(
            "scout item not claimable (done, unchanged or running)", kind=kind, item_id=item_id
        )
        return
    context = {"scout_kind": kind, "item_id": item_id, "attempt": claimed.attempts}
    structlog.contextvars.bind_contextvars(**context)
    try:
        if kind == state.REPOSITORY:
            process_repository(rt, claimed, tasks.identity())
        else:
            process_issue(rt, claimed, tasks.identity())
    except TransientError as exc:
        settings = rt.settings
        delay = exc.retry_after or backoff_seconds(
            claimed.attempts, settings.job_retry_delay_seconds
        )
        again = state.retry_later(rt.db, claimed, _describe(exc), settings.job_max_retries)
        log.warning(
            "scout item transient failure", error=_describe(exc), retry=again, delay=round(delay, 1)
        )
        if again:
            tasks.dispatch(kind, item_id, claimed.priority, delay=delay)
    except PermanentError as exc:
        log.error("scout item failed", error=_describe(exc))
        state.fail(rt.db, claimed, _describe(exc))
    except Exception as exc:  # the job boundary: a bug becomes a dead letter
        log.exception("scout item crashed")
        state.fail(rt.db, claimed, f"internal error: {_describe(exc)}", dead_letter=True)
    finally:
        structlog.contextvars.unbind_contextvars(*context)


def process_repository(
    rt: Runtime, claimed: state.Claimed, identity: CrawlIdentity | None = None
) -> None:
    """Languages from GitHub, then the LLM's summary; stored with the hash it was made for."""
    with rt.db.session() as s:
        row = s.get(ScoutRepository, claimed.item_id)
        assert row is not None
        s.expunge(row)
    with open_github(rt, row.full_name, identity) as gh:
        languages = gh.languages(row.full_name)
    primary = max(languages, key=lambda k: languages[k]) if languages else None
    state.update_fields(rt.db, claimed, languages=languages, language=row.language or primary)
    facts = RepoFacts(
        full_name=row.full_name,
        description=row.description or "",
        languages=languages,
        topics=_names(row.topics, "names"),
        stars=row.stars or 0,
        label=row.label,
    )
    answer = summarise_repository(rt.llm, facts)
    if not state.complete(rt.db, claimed, summary=stored(answer, claimed.metadata_hash)):
        log.info("repository changed while processing; its newer version is queued")
        return
    log.info("scout repository summarised", repo=row.full_name, llm_calls=answer.calls)


def process_issue(
    rt: Runtime, claimed: state.Claimed, identity: CrawlIdentity | None = None
) -> None:
    """The full body from GitHub, then the LLM's analysis (difficulty, skills, first steps)."""
    with rt.db.session() as s:
        issue = s.get(ScoutIssue, claimed.item_id)
        assert issue is not None
        repo = s.get(ScoutRepository, issue.repository_id)
        assert repo is not None
        s.expunge_all()
    with open_github(rt, repo.full_name, identity) as gh:
        data = gh.issue(repo.full_name, issue.number)
    body = data.get("body") if isinstance(data.get("body"), str) else ""
    state.update_fields(rt.db, claimed, body=body)
    repo_summary = (repo.summary or {}).get("summary", "")
    facts = IssueFacts(
        full_name=repo.full_name,
        number=issue.number,
        title=issue.title,
        body=body or "",
        labels=_names(issue.labels, "names"),
        comments=issue.comments or 0,
        languages=repo.languages or {},
        repo_summary=repo_summary if isinstance(repo_summary, str) else "",
    )
    answer = analyse_issue(rt.llm, facts)
    analysis = stored(answer, claimed.metadata_hash)
    if not state.complete(rt.db, claimed, analysis=analysis, difficulty=analysis["difficulty"]):
        log.info("issue changed while processing; its newer version is queued")
        return
    log.info(
        "scout issue analysed",
        repo=repo.full_name,
        number=issue.number,
        difficulty=analysis["difficulty"],
        llm_calls=answer.calls,
    )


def _names(value: Any, key: str) -> list[str]:
    """Names from ``{"names": [...]}`` or a plain list, as the crawl stores them."""
    items = value.get(key, []) if isinstance(value, dict) else value
    if not isinstance(items, list):
        return []
    return [str(i.get("name", "")) if isinstance(i, dict) else str(i) for i in items]


def _describe(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__)[:500]
