"""Write one repository's fetch into the catalogue: upsert, hash compare, mark pending.

Closed or assigned issues leave the catalogue: their rows are deleted (so is a
repository that no longer exists). New and changed items get
``processing_status="pending"`` and a priority; unchanged ones are left alone.

A fetch that failed changes nothing: only a complete listing may remove issues.
A repository that moved keeps its rows (issues, summaries) under its new name. An
archived repository is not shown, so it is never queued for a summary (``skipped``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from argusai.scout.changes import IssueMeta, RepoMeta, priority_from_recency
from argusai.scout.models import ProcessingStatus, ScoutIssue, ScoutRepository
from argusai.scout.process_state import mark_pending
from argusai.scout.repo_fetch import RepoFetch

Log = Callable[[dict[str, Any]], None]
PENDING = ProcessingStatus.PENDING.value
SKIPPED = ProcessingStatus.SKIPPED.value


@dataclass
class Applied:
    """Items to enqueue after the commit: (kind, id, priority)."""

    queued: list[tuple[str, int, int]] = field(default_factory=list)


def apply_fetch(
    session: Session, fetched: RepoFetch, source: str, now: datetime, seen: set[int], log: Log
) -> Applied:
    """Apply ``fetched``; ``seen`` collects listed issue numbers across resumed pages."""
    out = Applied()
    if fetched.failed is not None:
        return out
    if fetched.moved_to is not None:
        _rename(session, fetched.ref.full_name, fetched.moved_to, log)
    name = fetched.full_name
    row = session.scalar(select(ScoutRepository).where(ScoutRepository.full_name == name))
    if fetched.missing:
        if row is not None:
            session.delete(row)
            log(
                {
                    "event": "removed",
                    "kind": "repository",
                    "repo": name,
                    "reason": f"GitHub answered {fetched.meta_status}",
                }
            )
        return out
    if fetched.meta is not None:
        row = _upsert_repo(session, row, fetched, source, now, out, log)
    if row is None:
        return out
    if row.archived:
        _drop_issues(session, row, set(), log, "repository archived")
        return out
    for page in fetched.pages:
        for item in page:
            _apply_issue(session, row, IssueMeta.from_api(item), now, seen, out, log)
    if fetched.complete and not fetched.issues_not_modified:
        _drop_issues(session, row, seen, log, "no longer listed (closed or label removed)")
        row.issues_etag = fetched.first_page_etag
    return out


def _rename(session: Session, old: str, new: str, log: Log) -> None:
    """Carry the row of ``old`` over to ``new`` (dropped if ``new`` has its own already)."""
    row = session.scalar(select(ScoutRepository).where(ScoutRepository.full_name == old))
    if row is None:
        return
    if session.scalar(select(ScoutRepository.id).where(ScoutRepository.full_name == new)):
        session.delete(row)
        reason = f"moved to {new}, which is catalogued already"
        log({"event": "removed", "kind": "repository", "repo": old, "reason": reason})
    else:
        row.full_name = new
        log({"event": "moved", "kind": "repository", "repo": old, "to": new})
    session.flush()


def _upsert_repo(
    session: Session,
    row: ScoutRepository | None,
    fetched: RepoFetch,
    source: str,
    now: datetime,
    out: Applied,
    log: Log,
) -> ScoutRepository:
    assert fetched.meta is not None
    meta = RepoMeta.from_api(fetched.meta)
    ref = fetched.ref
    new_hash = meta.metadata_hash()
    if row is None:
        row = ScoutRepository(full_name=fetched.full_name, source=source)
        session.add(row)
    old_hash = row.metadata_hash
    row.label, row.description, row.html_url = ref.label, meta.description, meta.html_url
    row.language, row.stars, row.archived = meta.language, meta.stars, meta.archived
    row.topics = {"names": list(meta.topics)}
    row.pushed_at, row.etag = meta.pushed_at, fetched.meta_etag
    changed = old_hash != new_hash
    log(
        {
            "event": "hash",
            "kind": "repository",
            "key": row.full_name,
            "old": old_hash,
            "new": new_hash,
            "changed": changed,
        }
    )
    if changed:
        row.metadata_hash = new_hash
        row.priority = priority_from_recency(meta.pushed_at, now)
        if meta.archived:  # never shown: no summary to pay for
            row.processing_status = SKIPPED
        else:
            mark_pending(row)
            session.flush()
            out.queued.append(("repository", row.id, row.priority))
    return row


def _apply_issue(
    session: Session,
    repo: ScoutRepository,
    meta: IssueMeta,
    now: datetime,
    seen: set[int],
    out: Applied,
    log: Log,
) -> None:
    if meta.is_pull:
        return
    key = f"{repo.full_name}#{meta.number}"
    row = session.scalar(
        select(ScoutIssue).where(
            ScoutIssue.repository_id == repo.id, ScoutIssue.number == meta.number
        )
    )
    if not meta.listable:
        if row is not None:
            session.delete(row)
            log(
                {
                    "event": "removed",
                    "kind": "issue",
                    "key": key,
                    "reason": "assigned" if meta.assignees else meta.state,
                }
            )
        return
    seen.add(meta.number)
    new_hash = meta.metadata_hash()
    old_hash = row.metadata_hash if row is not None else None
    log(
        {
            "event": "hash",
            "kind": "issue",
            "key": key,
            "old": old_hash,
            "new": new_hash,
            "changed": old_hash != new_hash,
        }
    )
    if old_hash == new_hash:
        return
    if row is None:
        row = ScoutIssue(repository_id=repo.id, number=meta.number, title=meta.title)
        session.add(row)
    row.github_id, row.title, row.html_url, row.state = (
        meta.github_id,
        meta.title,
        meta.html_url,
        meta.state,
    )
    row.labels = {"names": list(meta.labels)}
    row.assignees = {"logins": list(meta.assignees)}
    row.comments, row.github_updated_at = meta.comments, meta.updated_at
    row.metadata_hash = new_hash
    mark_pending(row)
    row.priority = priority_from_recency(meta.updated_at, now)
    session.flush()
    out.queued.append(("issue", row.id, row.priority))


def _drop_issues(
    session: Session, repo: ScoutRepository, keep: set[int], log: Log, reason: str
) -> None:
    gone = list(
        session.scalars(
            select(ScoutIssue.number).where(
                ScoutIssue.repository_id == repo.id, ScoutIssue.number.not_in(keep)
            )
        )
    )
    if gone:
        session.execute(
            delete(ScoutIssue).where(
                ScoutIssue.repository_id == repo.id, ScoutIssue.number.in_(gone)
            )
        )
        for number in gone:
            log(
                {
                    "event": "removed",
                    "kind": "issue",
                    "key": f"{repo.full_name}#{number}",
                    "reason": reason,
                }
            )
