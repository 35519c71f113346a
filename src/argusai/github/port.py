"""The port the worker uses to talk to GitHub for one installation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from argusai.review.models import ChangedFile


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    body: str
    state: str  # open | closed
    draft: bool
    head_sha: str
    base_sha: str
    base_ref: str
    author: str


@dataclass(frozen=True)
class Comparison:
    """GitHub's compare of two commits (``base...head``)."""

    status: str  # ahead | behind | diverged | identical
    ahead_by: int
    behind_by: int
    files: list[ChangedFile] = field(default_factory=list)


@dataclass(frozen=True)
class IssueComment:
    id: int
    body: str
    author: str


@dataclass(frozen=True)
class ReviewCommentDraft:
    """One inline comment of a review to be created (right side of the diff)."""

    path: str
    line: int
    body: str
    start_line: int | None = None


class GitHubRepoClient(Protocol):
    """GitHub calls ArgusAI makes, authenticated as one installation.

    Errors: GitHubRateLimited / GitHubTransientError (retry), GitHubError (4xx).
    """

    def get_pull(self, owner: str, repo: str, number: int) -> PullRequest: ...

    def list_pull_files(
        self, owner: str, repo: str, number: int, *, limit: int = 3000
    ) -> list[ChangedFile]: ...

    def compare(self, owner: str, repo: str, base: str, head: str) -> Comparison: ...

    def default_branch(self, owner: str, repo: str) -> str: ...

    def get_file_text(self, owner: str, repo: str, path: str, ref: str) -> str | None:
        """The file's text at ``ref``; None when it does not exist."""
        ...

    def list_issue_comments(self, owner: str, repo: str, number: int) -> list[IssueComment]: ...

    def create_issue_comment(self, owner: str, repo: str, number: int, body: str) -> int: ...

    def update_issue_comment(self, owner: str, repo: str, comment_id: int, body: str) -> None: ...

    def list_review_comment_bodies(self, owner: str, repo: str, number: int) -> list[str]:
        """Bodies of every inline review comment on the PR (for fingerprint dedup)."""
        ...

    def create_review(
        self,
        owner: str,
        repo: str,
        number: int,
        *,
        commit_id: str,
        body: str,
        comments: list[ReviewCommentDraft],
    ) -> int: ...


class GitHubAppClient(Protocol):
    """The App itself: hands out per-installation clients."""

    def for_installation(self, installation_id: int) -> GitHubRepoClient: ...
