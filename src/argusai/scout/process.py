"""Scout processing (seed 004's data-service): enrich each changed item, summarise it.

Contract with the crawl: it sets ``processing_status="pending"`` and ``priority`` on the
rows it found new or changed, then calls ``enqueue(kind, item_id, priority)``. Items run
on the one work queue (:mod:`argusai.scout.process_kind`); an item whose stored answer
was made for its current ``metadata_hash`` gets no job and no LLM call.
"""

from __future__ import annotations

from typing import Any

import structlog

from argusai.runtime import Runtime
from argusai.scout import process_state as state
from argusai.scout.auth import CrawlIdentity
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
