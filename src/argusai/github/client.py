"""``InstallationClient``: the GitHubRepoClient port over githubkit, as one installation."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

from argusai.errors import GitHubError
from argusai.github import parse
from argusai.github.port import Comparison, IssueComment, PullRequest, ReviewCommentDraft
from argusai.github.rest import GitHubRest, segment
from argusai.review.models import ChangedFile

T = TypeVar("T")

GITHUB_FILES_CAP = 3000  # the pull request files API lists at most this many
RAW_ACCEPT = "application/vnd.github.raw+json"


def _parsed(fn: Callable[[Any], T], data: Any, what: str) -> T:
    try:
        return fn(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise GitHubError(f"unexpected GitHub response for {what}: {type(exc).__name__}") from None


class InstallationClient:
    """GitHub calls for the repositories of one installation (thread-safe)."""

    def __init__(self, rest: GitHubRest, installation_id: int) -> None:
        self._rest = rest
        self.installation_id = installation_id

    def __repr__(self) -> str:
        return f"InstallationClient(installation_id={self.installation_id})"

    @staticmethod
    def _repo(owner: str, repo: str) -> str:
        return f"/repos/{segment(owner)}/{segment(repo)}"

    def get_pull(self, owner: str, repo: str, number: int) -> PullRequest:
        """The pull request's title, state, head and base."""
        data = self._rest.json("GET", f"{self._repo(owner, repo)}/pulls/{int(number)}")
        return _parsed(parse.pull_request, data, "pull request")

    def list_pull_files(
        self, owner: str, repo: str, number: int, *, limit: int = GITHUB_FILES_CAP
    ) -> list[ChangedFile]:
        """The PR's changed files in GitHub's order, at most ``limit`` (GitHub stops at 3000)."""
        limit = max(0, min(limit, GITHUB_FILES_CAP))
        if limit == 0:
            return []
        path = f"{self._repo(owner, repo)}/pulls/{int(number)}/files"
        return [
            _parsed(parse.changed_file, item, "pull request file")
            for item in self._rest.paginate(path, limit=limit, per_page=min(100, limit))
        ]

    def compare(self, owner: str, repo: str, base: str, head: str) -> Comparison:
        """GitHub's comparison of ``base...head`` (status, ahead/behind, files)."""
        spec = f"{quote(base, safe='/')}...{quote(head, safe='/')}"
        data = self._rest.json("GET", f"{self._repo(owner, repo)}/compare/{spec}")
        return _parsed(parse.comparison, data, "comparison")

    def default_branch(self, owner: str, repo: str) -> str:
        """The repository's default branch name."""
        data = self._rest.json("GET", self._repo(owner, repo))
        return _parsed(lambda d: str(d["default_branch"]), data, "repository")

    def get_file_text(self, owner: str, repo: str, path: str, ref: str) -> str | None:
        """The file's text at ``ref`` (branch, tag or SHA); None when it does not exist."""
        url = f"{self._repo(owner, repo)}/contents/{quote(path.lstrip('/'), safe='/')}"
        try:
            data = self._rest.json("GET", url, params={"ref": ref})
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("type", "file") != "file":
            return None  # a directory (list) or a submodule / symlink
        if data.get("encoding") == "base64":
            try:
                raw = base64.b64decode(str(data.get("content") or ""))
            except (binascii.Error, ValueError):
                raise GitHubError(f"undecodable content for {path}") from None
            return raw.decode("utf-8", errors="replace")
        # Files of 1-100 MB come without content ("encoding": "none"): ask for raw bytes.
        response = self._rest.request("GET", url, params={"ref": ref}, accept=RAW_ACCEPT)
        return response.content.decode("utf-8", errors="replace")

    def list_issue_comments(self, owner: str, repo: str, number: int) -> list[IssueComment]:
        """Every conversation comment of the issue / PR, oldest first."""
        path = f"{self._repo(owner, repo)}/issues/{int(number)}/comments"
        return [
            _parsed(parse.issue_comment, item, "issue comment")
            for item in self._rest.paginate(path)
        ]

    def create_issue_comment(self, owner: str, repo: str, number: int, body: str) -> int:
        """Post a conversation comment; returns its id."""
        path = f"{self._repo(owner, repo)}/issues/{int(number)}/comments"
        data = self._rest.json("POST", path, json={"body": body})
        return _parsed(lambda d: int(d["id"]), data, "created comment")

    def update_issue_comment(self, owner: str, repo: str, comment_id: int, body: str) -> None:
        """Replace a conversation comment's body."""
        path = f"{self._repo(owner, repo)}/issues/comments/{int(comment_id)}"
        self._rest.request("PATCH", path, json={"body": body})

    def list_review_comment_bodies(self, owner: str, repo: str, number: int) -> list[str]:
        """Bodies of every inline review comment on the PR (for fingerprint dedup)."""
        path = f"{self._repo(owner, repo)}/pulls/{int(number)}/comments"
        return [
            str(item.get("body") or "") if isinstance(item, dict) else ""
            for item in self._rest.paginate(path)
        ]

    def create_review(
        self,
        owner: str,
        repo: str,
        number: int,
        *,
        commit_id: str,
        body: str,
        comments: list[ReviewCommentDraft],
    ) -> int:
        """Post one review (event COMMENT) with inline comments on the right side."""
        payload: dict[str, Any] = {
            "commit_id": commit_id,
            "body": body,
            "event": "COMMENT",
            "comments": [_review_comment(c) for c in comments],
        }
        path = f"{self._repo(owner, repo)}/pulls/{int(number)}/reviews"
        data = self._rest.json("POST", path, json=payload)
        return _parsed(lambda d: int(d["id"]), data, "created review")


def _review_comment(draft: ReviewCommentDraft) -> dict[str, Any]:
    comment: dict[str, Any] = {
        "path": draft.path,
        "line": draft.line,
        "side": "RIGHT",
        "body": draft.body,
    }
    if draft.start_line is not None and draft.start_line < draft.line:
        comment["start_line"] = draft.start_line
        comment["start_side"] = "RIGHT"
    return comment
