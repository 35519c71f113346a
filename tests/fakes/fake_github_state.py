"""In-memory data of the fake GitHub (see ``fake_github``): repos, pulls, comments, faults."""

from __future__ import annotations

import hashlib
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.fake_github_diff import commentable_lines, count_changes, split_git_diff

_sha_counter = itertools.count(1)


def fake_sha(seed: str = "") -> str:
    """A fresh 40-hex commit id."""
    return hashlib.sha1(f"{seed}:{next(_sha_counter)}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class FakeFile:
    """One changed file of a pull request or a comparison."""

    path: str
    patch: str | None = None  # hunks without the ---/+++ header; None = binary / too large
    status: str = "modified"
    previous_path: str | None = None
    additions: int | None = None
    deletions: int | None = None

    @classmethod
    def from_git_diff(cls, text: str) -> list[FakeFile]:
        """The files of a ``git diff`` text, as GitHub's files API would list them."""
        return [
            cls(
                path=str(e["filename"]),
                patch=e["patch"],
                status=str(e["status"]),
                previous_path=e["previous_filename"],
            )
            for e in split_git_diff(text)
        ]

    def to_json(self, sha: str) -> dict[str, Any]:
        """GitHub's JSON for this file."""
        adds, dels = count_changes(self.patch)
        adds = self.additions if self.additions is not None else adds
        dels = self.deletions if self.deletions is not None else dels
        data: dict[str, Any] = {
            "sha": hashlib.sha1(self.path.encode(), usedforsecurity=False).hexdigest(),
            "filename": self.path,
            "status": self.status,
            "additions": adds,
            "deletions": dels,
            "changes": adds + dels,
            "blob_url": f"https://github.com/blob/{sha}/{self.path}",
            "raw_url": f"https://github.com/raw/{sha}/{self.path}",
            "contents_url": f"https://api.github.com/contents/{self.path}?ref={sha}",
        }
        if self.patch is not None:
            data["patch"] = self.patch
        if self.previous_path is not None:
            data["previous_filename"] = self.previous_path
        return data


def as_files(files: Any) -> list[FakeFile]:
    """Accept FakeFile objects, ``{path: patch}`` mappings, or a ``git diff`` string."""
    if files is None:
        return []
    if isinstance(files, str):
        return FakeFile.from_git_diff(files)
    if isinstance(files, dict):
        return [FakeFile(path=p, patch=patch) for p, patch in files.items()]
    return list(files)


@dataclass
class FakePull:
    number: int
    title: str
    body: str
    state: str
    draft: bool
    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str
    author: str
    files: list[FakeFile] = field(default_factory=list)

    @staticmethod
    def _end(repo: FakeRepo, api: str, sha: str, ref: str) -> dict[str, Any]:
        label = f"{repo.owner}:{ref}"
        return {"sha": sha, "ref": ref, "label": label, "repo": repo.to_json(api)}

    def to_json(self, repo: FakeRepo, api: str) -> dict[str, Any]:
        """GitHub's JSON for this pull request (the fields anyone reads, and some more)."""
        full = f"{repo.owner}/{repo.name}"
        adds = sum(f.to_json(self.head_sha)["additions"] for f in self.files)
        dels = sum(f.to_json(self.head_sha)["deletions"] for f in self.files)
        return {
            "id": repo.id * 100_000 + self.number,
            "number": self.number,
            "url": f"{api}/repos/{full}/pulls/{self.number}",
            "html_url": f"https://github.com/{full}/pull/{self.number}",
            "title": self.title,
            "body": self.body or None,
            "state": self.state,
            "draft": self.draft,
            "merged": False,
            "user": {"login": self.author, "id": 1, "type": "User"},
            "head": self._end(repo, api, self.head_sha, self.head_ref),
            "base": self._end(repo, api, self.base_sha, self.base_ref),
            "changed_files": len(self.files),
            "additions": adds,
            "deletions": dels,
        }


@dataclass
class FakeRepo:
    owner: str
    name: str
    default_branch: str
    installation_id: int
    id: int
    private: bool = False
    contents: dict[str, dict[str, bytes]] = field(default_factory=dict)  # ref → path → bytes
    pulls: dict[int, FakePull] = field(default_factory=dict)
    compares: dict[str, dict[str, Any]] = field(default_factory=dict)  # "base...head" → JSON
    issue_comments: dict[int, dict[str, Any]] = field(default_factory=dict)  # id → comment
    review_comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # PR number → reviews
    # scout: metadata, languages and issues (see fake_github_scout)
    description: str | None = None
    language: str | None = None
    stars: int = 0
    topics: list[str] = field(default_factory=list)
    archived: bool = False
    pushed_at: str = "2026-01-01T00:00:00Z"
    languages: dict[str, int] = field(default_factory=dict)
    issues: dict[int, Any] = field(default_factory=dict)  # number → FakeIssue
    # git database (see fake_github_git): trees by commit / tree id, blobs by id
    trees: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    tree_limit: int | None = None

    def to_json(self, api: str) -> dict[str, Any]:
        """GitHub's JSON for the repository."""
        full = f"{self.owner}/{self.name}"
        return {
            "id": self.id,
            "name": self.name,
            "full_name": full,
            "private": self.private,
            "owner": {"login": self.owner, "id": self.id, "type": "Organization"},
            "default_branch": self.default_branch,
            "url": f"{api}/repos/{full}",
            "html_url": f"https://github.com/{full}",
            "description": self.description,
            "language": self.language,
            "stargazers_count": self.stars,
            "topics": list(self.topics),
            "archived": self.archived,
            "pushed_at": self.pushed_at,
        }


@dataclass
class Fault:
    """A canned response served instead of the real one."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0


@dataclass
class FaultRule:
    method: str  # "*" = any
    pattern: str  # fnmatch pattern on the API path (without prefix and query)
    queue: deque[Fault] = field(default_factory=deque)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received (headers include credentials: tests only)."""

    method: str
    path: str  # without the base-URL prefix and query
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    status: int


class Unprocessable(Exception):
    """A 422 with GitHub's error list."""

    def __init__(self, errors: list[str], detail: str) -> None:
        super().__init__(detail)
        self.errors = errors
        self.detail = detail


def check_review_comment(pull: FakePull, comment: Any) -> None:
    """Raise Unprocessable unless GitHub would accept this inline comment on ``pull``."""
    if not isinstance(comment, dict) or not isinstance(comment.get("path"), str):
        raise Unprocessable(["Path could not be resolved"], f"bad comment {comment!r}")
    path = comment["path"]
    if "position" in comment:
        raise Unprocessable(["position is not supported by the fake"], f"{path}: use line/side")
    file = next((f for f in pull.files if f.path == path), None)
    if file is None or file.patch is None:
        raise Unprocessable(["Path could not be resolved"], f"{path} is not a file with a diff")
    side = comment.get("side", "RIGHT")
    line = comment.get("line")
    if side not in ("RIGHT", "LEFT") or not isinstance(line, int):
        raise Unprocessable(["Line could not be resolved"], f"{path}: bad line/side")
    lines = commentable_lines(file.patch)
    hunk = lines.side(side).get(line)
    if hunk is None:
        raise Unprocessable(["Line could not be resolved"], f"{path}:{line} ({side}) not in diff")
    start = comment.get("start_line")
    if start is None:
        return
    start_side = comment.get("start_side", side)
    if not isinstance(start, int) or start_side not in ("RIGHT", "LEFT"):
        raise Unprocessable(["Start line could not be resolved"], f"{path}: bad start_line")
    if start >= line:
        raise Unprocessable(
            ["start_line must precede the end line"], f"{path}: start_line {start} >= line {line}"
        )
    if lines.side(start_side).get(start) != hunk:
        raise Unprocessable(
            ["start_line must be part of the same hunk as the line."],
            f"{path}:{start}-{line} spans hunks or leaves the diff",
        )
