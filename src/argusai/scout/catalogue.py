"""The catalogue: open issues and repositories with their summaries, filtered and paginated.

Filters work on SQLite and PostgreSQL alike: JSON columns are matched as text
(``"Python":`` in the languages object, ``"good first issue"`` in the label names).
A label is matched whole, as a list element (followed by ``,`` or ``]``), in both the
spellings a JSON serialiser may have stored: ``\\uXXXX`` escapes (SQLAlchemy's
default, ``ensure_ascii``) and raw UTF-8 — so non-ASCII labels match in old and new rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, or_, select
from sqlalchemy.sql import Select

from argusai.scout.models import ScoutIssue, ScoutRepository
from argusai.store.db import Database

MAX_LIMIT = 100
GITHUB = "https://github.com/"


@dataclass(frozen=True)
class Filters:
    """What the reader asked for; empty values mean no filter."""

    language: str | None = None
    difficulty: str | None = None
    label: str | None = None
    q: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of results and the total that matched."""

    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """Offset of the next page, None on the last one."""
        following = self.offset + self.limit
        return following if following < self.total else None

    def to_json(self) -> dict[str, Any]:
        """The API's envelope."""
        return {
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": self.next_offset,
            "items": self.items,
        }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: what the free-text search ``q`` looks in
_ISSUE_TEXT = (
    ScoutIssue.title,
    ScoutIssue.body,
    ScoutRepository.full_name,
    cast(ScoutIssue.analysis, String),
)
_REPOSITORY_TEXT = (
    ScoutRepository.full_name,
    ScoutRepository.description,
    cast(ScoutRepository.summary, String),
)


def _mentions(text: str, *columns: Any) -> ColumnElement[bool]:
    """Any of ``columns`` holds ``text`` (case-insensitive; ``%`` and ``_`` taken literally)."""
    pattern = _like(text)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _json_has(column: Any, fragment: str) -> ColumnElement[bool]:
    return cast(column, String).ilike(_like(fragment), escape="\\")


def _has_label(label: str) -> ColumnElement[bool]:
    spellings = dict.fromkeys((json.dumps(label), json.dumps(label, ensure_ascii=False)))
    return or_(
        *(_json_has(ScoutIssue.labels, quoted + end) for quoted in spellings for end in (",", "]"))
    )


def _language(value: str) -> ColumnElement[bool]:
    quoted = f'"{value}":'
    return or_(
        func.lower(ScoutRepository.language) == value.lower(),
        _json_has(ScoutRepository.languages, quoted),
    )


def _clamp(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_LIMIT)), max(0, offset)


def _issue_query(f: Filters) -> Select[ScoutIssue, ScoutRepository]:
    query = (
        select(ScoutIssue, ScoutRepository)
        .join(ScoutRepository, ScoutIssue.repository_id == ScoutRepository.id)
        .where(ScoutIssue.state == "open", ScoutRepository.archived.is_(False))
    )
    if f.language:
        query = query.where(_language(f.language))
    if f.difficulty:
        query = query.where(ScoutIssue.difficulty == f.difficulty.lower())
    if f.label:
        query = query.where(_has_label(f.label))
    if f.q:
        query = query.where(_mentions(f.q, *_ISSUE_TEXT))
    return query


def _repo_query(f: Filters) -> Select[ScoutRepository]:
    query = select(ScoutRepository).where(ScoutRepository.archived.is_(False))
    if f.language:
        query = query.where(_language(f.language))
    if f.label:
        query = query.where(func.lower(ScoutRepository.label) == f.label.lower())
    if f.difficulty:
        has = select(ScoutIssue.id).where(
            ScoutIssue.repository_id == ScoutRepository.id,
            ScoutIssue.state == "open",
            ScoutIssue.difficulty == f.difficulty.lower(),
        )
        query = query.where(has.exists())
    if f.q:
        query = query.where(_mentions(f.q, *_REPOSITORY_TEXT))
    return query


def _count(db: Database, query: Select[Any, Any] | Select[Any]) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(query.subquery())) or 0)


def list_issues(db: Database, filters: Filters, *, limit: int = 20, offset: int = 0) -> Page:
    """Open issues matching ``filters``, most urgent first (priority, then recency)."""
    limit, offset = _clamp(limit, offset)
    query = _issue_query(filters)
    ordered = query.order_by(
        ScoutIssue.priority.desc(), ScoutIssue.github_updated_at.desc(), ScoutIssue.id.desc()
    )
    with db.session() as s:
        rows = s.execute(ordered.limit(limit).offset(offset)).all()
        items = [issue_json(issue, repo) for issue, repo in rows]
    return Page(items=items, total=_count(db, query), limit=limit, offset=offset)


def list_repositories(db: Database, filters: Filters, *, limit: int = 20, offset: int = 0) -> Page:
    """Repositories matching ``filters``, most starred first."""
    limit, offset = _clamp(limit, offset)
    query = _repo_query(filters)
    ordered = query.order_by(ScoutRepository.stars.desc(), ScoutRepository.id)
    with db.session() as s:
        rows = s.scalars(ordered.limit(limit).offset(offset)).all()
        items = [repo_json(repo) for repo in rows]
    return Page(items=items, total=_count(db, query), limit=limit, offset=offset)


def known_languages(db: Database) -> list[str]:
    """Languages of repositories that have open issues, for the filter menu."""
    with db.session() as s:
        rows = s.execute(
            select(ScoutRepository.language, ScoutRepository.languages).where(
                select(ScoutIssue.id)
                .where(ScoutIssue.repository_id == ScoutRepository.id, ScoutIssue.state == "open")
                .exists()
            )
        ).all()
    names: set[str] = set()
    for primary, languages in rows:
        if primary:
            names.add(str(primary))
        if isinstance(languages, dict):
            names.update(str(k) for k in languages)
    return sorted(names, key=str.lower)


def github_url(url: str | None, fallback_path: str) -> str:
    """An https://github.com link: the stored one when it is one, else built from names."""
    if url and url.startswith(GITHUB) and not any(c in url for c in "\"'<> \n"):
        return url
    return GITHUB + fallback_path


def _names(value: Any, key: str) -> list[str]:
    items = value.get(key, []) if isinstance(value, dict) else value
    return [str(i) for i in items] if isinstance(items, list) else []


def _languages(repo: ScoutRepository) -> list[str]:
    if isinstance(repo.languages, dict) and repo.languages:
        ranked = sorted(repo.languages.items(), key=lambda kv: -float(kv[1] or 0))
        return [str(k) for k, _ in ranked]
    return [repo.language] if repo.language else []


def _when(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def issue_json(issue: ScoutIssue, repo: ScoutRepository) -> dict[str, Any]:
    """An issue as the API shows it."""
    analysis = issue.analysis or {}
    return {
        "id": issue.id,
        "repository": repo.full_name,
        "number": issue.number,
        "title": issue.title,
        "url": github_url(issue.html_url, f"{repo.full_name}/issues/{issue.number}"),
        "labels": _names(issue.labels, "names"),
        "comments": issue.comments,
        "language": repo.language,
        "languages": _languages(repo),
        "difficulty": issue.difficulty,
        "summary": analysis.get("summary"),
        "skills": analysis.get("skills", []),
        "first_steps": analysis.get("first_steps", []),
        "processing_status": issue.processing_status,
        "processed_at": _when(issue.processed_at),
        "updated_at": _when(issue.github_updated_at),
    }


def repo_json(repo: ScoutRepository) -> dict[str, Any]:
    """A repository as the API shows it."""
    summary = repo.summary or {}
    return {
        "id": repo.id,
        "full_name": repo.full_name,
        "url": github_url(repo.html_url, repo.full_name),
        "description": repo.description,
        "label": repo.label,
        "stars": repo.stars,
        "language": repo.language,
        "languages": _languages(repo),
        "summary": summary.get("summary"),
        "stack": summary.get("stack", []),
        "contributing": summary.get("contributing"),
        "processing_status": repo.processing_status,
        "processed_at": _when(repo.processed_at),
    }
