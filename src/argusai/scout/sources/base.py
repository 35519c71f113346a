"""What a source yields: repositories to crawl (with the label to follow) and what it skipped."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_LABEL = "good first issue"

#: first path segments of github.com that are not users or organisations
_RESERVED = frozenset(
    {
        "about",
        "apps",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "issues",
        "login",
        "marketplace",
        "new",
        "notifications",
        "orgs",
        "pricing",
        "pulls",
        "search",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
    }
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class RepoRef:
    """One repository a source names, with the issue label to follow."""

    owner: str
    name: str
    label: str  # as sent to GitHub's issues filter
    canonical_label: str  # normalised spelling, for the catalogue
    installation_id: int | None = None  # crawl with this installation's token

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def to_json(self) -> dict[str, object]:
        """A JSON-able form (cached source lists)."""
        return {
            "owner": self.owner,
            "name": self.name,
            "label": self.label,
            "canonical_label": self.canonical_label,
            "installation_id": self.installation_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RepoRef:
        """The inverse of :meth:`to_json`."""
        inst = data.get("installation_id")
        return cls(
            str(data["owner"]),
            str(data["name"]),
            str(data["label"]),
            str(data["canonical_label"]),
            int(inst) if isinstance(inst, int) else None,
        )


@dataclass(frozen=True)
class Skipped:
    """An entry a source could not use, and why."""

    entry: str
    reason: str


@dataclass
class SourceList:
    """The parsed list: repositories in order, skipped entries, notes on fixed-up entries."""

    repos: list[RepoRef] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Skipped] = field(default_factory=list)

    def add(self, ref: RepoRef, entry: str) -> bool:
        """Append unless a repository of the same name is already listed (then skip it)."""
        key = ref.full_name.lower()
        if any(r.full_name.lower() == key for r in self.repos):
            self.skipped.append(Skipped(entry, f"duplicate of {ref.full_name}"))
            return False
        self.repos.append(ref)
        return True


class NotARepository(ValueError):
    """A link that does not name a GitHub repository; the message says why."""


def github_repo(url: str) -> tuple[str, str]:
    """``(owner, name)`` of a ``https://github.com/<owner>/<repo>`` link, else NotARepository."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        raise NotARepository("malformed URL") from None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise NotARepository("malformed URL")
    if host not in ("github.com", "www.github.com"):
        raise NotARepository(f"not on GitHub ({host})")
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[1].endswith(".git"):
        segments[1] = segments[1][:-4]
    if len(segments) != 2:
        raise NotARepository("not a repository link" if segments else "malformed URL")
    owner, name = segments
    if owner.lower() in _RESERVED or not _NAME.match(owner) or not _NAME.match(name):
        raise NotARepository("not a repository link")
    return owner, name
