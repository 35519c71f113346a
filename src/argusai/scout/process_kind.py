"""Scout items as kinds of work: a repository to summarise, an issue to analyse.

An item whose stored answer was made for its current ``metadata_hash`` is settled: it is
not claimed and costs no LLM call. A result is stored only if the hash did not change
while the worker ran (the crawl queued the newer version meanwhile).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import structlog

from argusai.runtime import Runtime
from argusai.scout import process_state as state
from argusai.scout.auth import ANONYMOUS_WARNING, CrawlIdentity, crawl_identity, has_credentials
from argusai.scout.models import ScoutIssue, ScoutRepository
from argusai.settings import Settings
from argusai.workq.kinds import Claimed, WorkKind
from argusai.workq.table import PROCESSING_WORDS, WorkTable

log = structlog.get_logger(__name__)

SCOUT_REPOSITORY = "scout_repository"
SCOUT_ISSUE = "scout_issue"

_SCOUT_COLUMNS = {
    "status": "processing_status",
    "attempts": "processing_attempts",
    "error_message": "processing_error",
    "completed_at": "processed_at",
}
REPOSITORIES = WorkTable(ScoutRepository, words=PROCESSING_WORDS, renamed=_SCOUT_COLUMNS)
ISSUES = WorkTable(ScoutIssue, words=PROCESSING_WORDS, renamed=_SCOUT_COLUMNS)
#: work kind name → the item kind the crawl and process_state speak of
ITEM_KINDS = {SCOUT_REPOSITORY: state.REPOSITORY, SCOUT_ISSUE: state.ISSUE}
WORK_KINDS = {v: k for k, v in ITEM_KINDS.items()}


def scout_kinds(get_runtime: Callable[[], Runtime]) -> list[WorkKind]:
    """The two scout kinds, sharing one GitHub identity per process (built on first use)."""
    lock = threading.Lock()
    identity: list[CrawlIdentity] = []

    def shared_identity() -> CrawlIdentity:
        with lock:
            if not identity:
                identity.append(crawl_identity(get_runtime()))
            return identity[0]

    def make(name: str, table: WorkTable) -> WorkKind:
        item_kind = ITEM_KINDS[name]

        def handle(item: Claimed) -> None:
            from argusai.scout.process import process_issue, process_repository

            claimed = state.Claimed(
                item_kind, item.id, item.row.metadata_hash, item.attempts, item.row.priority
            )
            process = process_repository if item_kind == state.REPOSITORY else process_issue
            process(get_runtime(), claimed, shared_identity())

        def settled(item_id: Any) -> bool:
            return state.settle_if_done(get_runtime().db, item_kind, int(item_id))

        return WorkKind(
            name=name,
            table=table,
            handle=handle,
            describe=_describe,
            context=lambda row: {"scout_kind": item_kind, "item_id": row.id},
            settled=settled,
            priority=lambda row: int(row.priority or 0),
        )

    return [make(SCOUT_REPOSITORY, REPOSITORIES), make(SCOUT_ISSUE, ISSUES)]


def warn_if_anonymous(settings: Settings) -> None:
    """Say once, when a process starts working, that GitHub will be read anonymously."""
    if not has_credentials(settings):
        log.warning(ANONYMOUS_WARNING)


def _describe(row: ScoutRepository | ScoutIssue) -> str:
    if isinstance(row, ScoutRepository):
        return f"repository {row.full_name}"
    return f"issue #{row.number} of repository {row.repository_id}"
