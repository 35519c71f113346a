"""Change detection: metadata hashes of repositories and issues, priority from recency."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class RepoMeta:
    """What the crawl keeps of ``GET /repos/{o}/{r}``."""

    full_name: str
    description: str | None
    html_url: str | None
    language: str | None
    stars: int
    topics: tuple[str, ...]
    archived: bool
    pushed_at: datetime | None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> RepoMeta:
        """From GitHub's repository JSON."""
        return cls(
            full_name=str(data["full_name"]),
            description=data.get("description"),
            html_url=data.get("html_url"),
            language=data.get("language"),
            stars=int(data.get("stargazers_count") or 0),
            topics=tuple(sorted(str(t) for t in data.get("topics") or ())),
            archived=bool(data.get("archived")),
            pushed_at=parse_time(data.get("pushed_at")),
        )

    def metadata_hash(self) -> str:
        """Hash of what a repository summary depends on (stars and pushes do not re-queue)."""
        return _digest(
            [
                self.full_name.lower(),
                self.description,
                self.language,
                list(self.topics),
                self.archived,
            ]
        )


@dataclass(frozen=True)
class IssueMeta:
    """What the crawl keeps of an issue in ``GET /repos/{o}/{r}/issues``."""

    number: int
    github_id: int | None
    title: str
    html_url: str | None
    state: str
    labels: tuple[str, ...]
    comments: int
    assignees: tuple[str, ...]
    updated_at: datetime | None
    is_pull: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> IssueMeta:
        """From one item of GitHub's issue listing."""
        labels = data.get("labels") or []
        names = [lab["name"] if isinstance(lab, dict) else str(lab) for lab in labels]
        people = data.get("assignees") or ([data["assignee"]] if data.get("assignee") else [])
        return cls(
            number=int(data["number"]),
            github_id=int(data["id"]) if data.get("id") is not None else None,
            title=str(data.get("title") or ""),
            html_url=data.get("html_url"),
            state=str(data.get("state") or "open"),
            labels=tuple(sorted(str(n) for n in names)),
            comments=int(data.get("comments") or 0),
            assignees=tuple(sorted(str(p.get("login")) for p in people if isinstance(p, dict))),
            updated_at=parse_time(data.get("updated_at")),
            is_pull="pull_request" in data,
        )

    @property
    def listable(self) -> bool:
        """Open, nobody assigned, not a pull request: belongs in the catalogue."""
        return self.state == "open" and not self.assignees and not self.is_pull

    def metadata_hash(self) -> str:
        """Hash over title, state, labels, comment count, assignees and updated time."""
        stamp = self.updated_at.isoformat() if self.updated_at else None
        return _digest(
            [self.title, self.state, list(self.labels), self.comments, list(self.assignees), stamp]
        )


def parse_time(value: Any) -> datetime | None:
    """GitHub's ``2026-01-01T00:00:00Z`` as a naive UTC datetime (as the tables store it)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


#: (age in days below which, priority): recent activity is processed first
_STEPS = ((1, 100), (7, 80), (30, 60), (90, 40), (365, 20))


def priority_from_recency(updated: datetime | None, now: datetime) -> int:
    """100 for activity within a day, down to 0 beyond a year (or unknown)."""
    if updated is None:
        return 0
    age = (now - updated).total_seconds() / 86400
    return next((p for days, p in _STEPS if age < days), 0)


def _digest(parts: list[Any]) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()
