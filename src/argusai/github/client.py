"""``InstallationClient``: the GitHubRepoClient port over githubkit, as one installation."""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import quote

from githubkit.exception import GitHubException

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError
from argusai.github import parse
from argusai.github.failures import from_githubkit
from argusai.github.port import (
    CheckRun,
    CheckRunOutput,
    Comparison,
    Issue,
    IssueComment,
    JobLog,
    PullRequest,
    Reaction,
    RepoTree,
    ReviewComment,
    ReviewCommentDraft,
    WorkflowJob,
    WorkflowRun,
)
from argusai.github.rest import JSON_ACCEPT, GitHubRest, segment

T = TypeVar("T")

GITHUB_FILES_CAP = 3000  # the pull request files API lists at most this many
RAW_ACCEPT = "application/vnd.github.raw+json"
LOG_CHUNK = 1 << 20
LOG_READ_FACTOR = 4  # a log is read through up to this many times the cap, then refused
MAX_JOB_PAGES = 10
MAX_ANNOTATIONS = 50  # GitHub takes at most 50 check-run annotations per request
BINARY_SNIFF = 8000  # git calls a blob binary when a NUL byte is in its first 8000 bytes
PERMISSION_TTL = 60.0  # seconds a collaborator's permission is believed (commands in a row)
MAX_REACTIONS = 300  # a comment's reactions read for outcomes (more say nothing new)


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
        self._permissions: dict[tuple[str, str, str], tuple[float, str]] = {}
        self._permissions_lock = threading.Lock()

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

    def get_issue(self, owner: str, repo: str, number: int) -> Issue:
        """An issue (or a PR through the issues API): title, body, state."""
        data = self._rest.json("GET", f"{self._repo(owner, repo)}/issues/{int(number)}")
        return _parsed(parse.issue, data, "issue")

    def get_tree(self, owner: str, repo: str, sha: str, *, recursive: bool = True) -> RepoTree:
        """The tree of commit or tree ``sha``: recursive (GitHub truncates past ~100,000
        entries or 7 MB and says so in ``truncated``), or the folder's own entries."""
        path = f"{self._repo(owner, repo)}/git/trees/{quote(sha, safe='')}"
        data = self._rest.json("GET", path, params={"recursive": 1} if recursive else None)
        return _parsed(parse.tree, data, "tree")

    def get_blob_text(self, owner: str, repo: str, blob_sha: str) -> str | None:
        """A blob's UTF-8 text by id (base64 JSON, up to GitHub's 100 MB); None when the blob
        is binary (a NUL in its first 8000 bytes, as git decides) or not UTF-8."""
        path = f"{self._repo(owner, repo)}/git/blobs/{quote(blob_sha, safe='')}"
        data = self._rest.json("GET", path)
        if not isinstance(data, dict) or not isinstance(data.get("content"), str):
            raise GitHubError(f"unexpected GitHub response for blob {blob_sha[:12]}: no content")
        if data.get("encoding", "base64") == "base64":
            try:
                raw = base64.b64decode(data["content"])
            except (binascii.Error, ValueError):
                raise GitHubError(f"undecodable content for blob {blob_sha[:12]}") from None
        else:  # "utf-8": GitHub sends small text blobs as they are when asked to
            raw = data["content"].encode()
        if b"\0" in raw[:BINARY_SNIFF]:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None

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

    # ---- conversation: commands, thread replies, reactions --------------------------------

    def list_review_comments(self, owner: str, repo: str, number: int) -> list[ReviewComment]:
        """Every inline review comment of the PR, oldest first, with ids and thread links."""
        path = f"{self._repo(owner, repo)}/pulls/{int(number)}/comments"
        return [
            _parsed(parse.review_comment, item, "review comment")
            for item in self._rest.paginate(path)
        ]

    def get_review_comment(self, owner: str, repo: str, comment_id: int) -> ReviewComment:
        """One inline review comment by id."""
        data = self._rest.json("GET", f"{self._repo(owner, repo)}/pulls/comments/{int(comment_id)}")
        return _parsed(parse.review_comment, data, "review comment")

    def reply_to_review_comment(
        self, owner: str, repo: str, number: int, comment_id: int, body: str
    ) -> int:
        """Reply in the thread whose root is ``comment_id``; the reply's id."""
        path = f"{self._repo(owner, repo)}/pulls/{int(number)}/comments/{int(comment_id)}/replies"
        data = self._rest.json("POST", path, json={"body": body})
        return _parsed(lambda d: int(d["id"]), data, "created reply")

    @staticmethod
    def _reactions_path(base: str, comment_id: int, review_comment: bool) -> str:
        kind = "pulls" if review_comment else "issues"
        return f"{base}/{kind}/comments/{int(comment_id)}/reactions"

    def add_reaction(
        self, owner: str, repo: str, comment_id: int, content: str, *, review_comment: bool
    ) -> None:
        """React to a comment (GitHub answers 200 for a reaction that is already there)."""
        path = self._reactions_path(self._repo(owner, repo), comment_id, review_comment)
        self._rest.request("POST", path, json={"content": content})

    def list_reactions(
        self, owner: str, repo: str, comment_id: int, *, review_comment: bool
    ) -> list[Reaction]:
        """The reactions on a comment (at most ``MAX_REACTIONS``)."""
        path = self._reactions_path(self._repo(owner, repo), comment_id, review_comment)
        return [
            _parsed(parse.reaction, item, "reaction")
            for item in self._rest.paginate(path, limit=MAX_REACTIONS)
        ]

    def collaborator_permission(self, owner: str, repo: str, user: str) -> str:
        """``admin``, ``write``, ``read`` or ``none``, remembered for ``PERMISSION_TTL`` s;
        a user GitHub does not know (404) has ``none``."""
        key = (owner.lower(), repo.lower(), user.lower())
        now = time.monotonic()
        with self._permissions_lock:
            cached = self._permissions.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        path = f"{self._repo(owner, repo)}/collaborators/{quote(user, safe='')}/permission"
        try:
            data = self._rest.json("GET", path)
        except GitHubError as exc:
            if exc.status != 404:
                raise
            value = "none"
        else:
            value = _parsed(parse.permission, data, "collaborator permission")
        with self._permissions_lock:
            if len(self._permissions) > 10_000:  # bounded: drop everything, it is a cache
                self._permissions.clear()
            self._permissions[key] = (now + PERMISSION_TTL, value)
        return value

    # ---- GitHub Actions and checks (CI failure analysis) ----------------------------------

    def get_workflow_run(self, owner: str, repo: str, run_id: int) -> WorkflowRun:
        """The run's latest attempt: status, conclusion, head SHA."""
        data = self._rest.json("GET", f"{self._repo(owner, repo)}/actions/runs/{int(run_id)}")
        return _parsed(_workflow_run, data, "workflow run")

    def list_run_attempt_jobs(
        self, owner: str, repo: str, run_id: int, attempt: int
    ) -> list[WorkflowJob]:
        """The jobs of one attempt of a run (``{"total_count", "jobs"}`` pages)."""
        path = f"{self._repo(owner, repo)}/actions/runs/{int(run_id)}/attempts/{int(attempt)}/jobs"
        jobs: list[WorkflowJob] = []
        for page in range(1, MAX_JOB_PAGES + 1):
            data = self._rest.json("GET", path, params={"per_page": 100, "page": page})
            items = data.get("jobs") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise GitHubError("unexpected GitHub response for workflow jobs: no `jobs` list")
            jobs.extend(_parsed(_workflow_job, item, "workflow job") for item in items)
            total = data.get("total_count")
            if not items or not isinstance(total, int) or len(jobs) >= total:
                break
        return jobs

    def list_workflow_runs(
        self, owner: str, repo: str, workflow_id: int, *, branch: str, status: str, limit: int
    ) -> list[WorkflowRun]:
        """One page (``limit`` ≤ 100) of the workflow's runs on ``branch`` with ``status``."""
        path = f"{self._repo(owner, repo)}/actions/workflows/{int(workflow_id)}/runs"
        params: dict[str, str | int] = {
            "branch": branch,
            "status": status,
            "per_page": max(1, min(100, limit)),
        }
        data = self._rest.json("GET", path, params=params)
        items = data.get("workflow_runs") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise GitHubError("unexpected GitHub response for workflow runs: no `workflow_runs`")
        return [_parsed(_workflow_run, item, "workflow run") for item in items[:limit]]

    def download_job_log(self, owner: str, repo: str, job_id: int, *, max_bytes: int) -> JobLog:
        """A job's log, streamed: GitHub answers 302 to a short-lived blob URL, followed here.

        httpx drops the ``Authorization`` header on the cross-origin redirect, so the token
        never reaches the blob store. Memory stays under ``max_bytes`` (+ one chunk): a
        longer log keeps its tail, where failures are; past ``LOG_READ_FACTOR`` times the
        cap reading stops and the log is refused.
        """
        path = f"{self._repo(owner, repo)}/actions/jobs/{int(job_id)}/logs"
        # GitHubRest buffers whole bodies: this one call streams through its githubkit client
        github, version = self._rest._github, self._rest._api_version
        headers = {"Accept": JSON_ACCEPT, "X-GitHub-Api-Version": version}
        try:
            response = github.request("GET", path, headers=headers, stream=True).raw_response
        except GitHubException as exc:
            raise from_githubkit(exc, what=f"GET {path}") from None
        try:
            return _read_capped(response, max_bytes)
        finally:
            response.close()

    def list_check_runs(self, owner: str, repo: str, ref: str, *, name: str) -> list[CheckRun]:
        """Check runs called ``name`` on ``ref`` (newest first, as GitHub lists them)."""
        path = f"{self._repo(owner, repo)}/commits/{quote(ref, safe='')}/check-runs"
        data = self._rest.json(
            "GET", path, params={"check_name": name, "filter": "all", "per_page": 100}
        )
        items = data.get("check_runs") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise GitHubError("unexpected GitHub response for check runs: no `check_runs` list")
        return [_parsed(_check_run, item, "check run") for item in items]

    def create_check_run(
        self,
        owner: str,
        repo: str,
        *,
        name: str,
        head_sha: str,
        external_id: str,
        conclusion: str | None,
        output: CheckRunOutput,
        details_url: str | None = None,
    ) -> int:
        """Create a check run on ``head_sha`` (completed, or in progress without a
        conclusion); returns its id."""
        payload: dict[str, Any] = {
            "name": name,
            "head_sha": head_sha,
            "external_id": external_id,
            **_status(conclusion),
            "output": _check_output(output),
        }
        if details_url:
            payload["details_url"] = details_url
        data = self._rest.json("POST", f"{self._repo(owner, repo)}/check-runs", json=payload)
        return _parsed(lambda d: int(d["id"]), data, "created check run")

    def update_check_run(
        self,
        owner: str,
        repo: str,
        check_run_id: int,
        *,
        conclusion: str | None,
        output: CheckRunOutput,
    ) -> None:
        """Set a check run's output and (unless None) its conclusion; annotations are sent
        50 per request, as GitHub takes them, the conclusion with the last batch."""
        path = f"{self._repo(owner, repo)}/check-runs/{int(check_run_id)}"
        batches = [
            output.annotations[i : i + MAX_ANNOTATIONS]
            for i in range(0, len(output.annotations), MAX_ANNOTATIONS)
        ] or [()]
        for number, batch in enumerate(batches, 1):
            last = number == len(batches)
            payload = {
                **_status(conclusion if last else None),
                "output": _check_output(replace(output, annotations=batch)),
            }
            self._rest.request("PATCH", path, json=payload)

    def dispatch_repository_event(
        self, owner: str, repo: str, *, event_type: str, client_payload: dict[str, object]
    ) -> None:
        """``POST /repos/{o}/{r}/dispatches`` (GitHub answers 204; the App needs contents:
        write, a workflow token ``contents: write`` too)."""
        body = {"event_type": event_type, "client_payload": client_payload}
        self._rest.request("POST", f"{self._repo(owner, repo)}/dispatches", json=body)


def _read_capped(response: Any, max_bytes: int) -> JobLog:
    """Read a streamed body keeping at most ``max_bytes`` of its tail."""
    tail: deque[bytes] = deque()
    kept = total = 0
    for chunk in response.iter_bytes(LOG_CHUNK):
        total += len(chunk)
        if total > max_bytes * LOG_READ_FACTOR:
            return JobLog(data=b"", total_bytes=total, truncated=True, refused=True)
        tail.append(chunk)
        kept += len(chunk)
        while kept - len(tail[0]) >= max_bytes:
            kept -= len(tail.popleft())
    data = b"".join(tail)
    return JobLog(data=data[-max_bytes:], total_bytes=total, truncated=total > max_bytes)


def _status(conclusion: str | None) -> dict[str, str]:
    if conclusion is None:
        return {"status": "in_progress"}
    return {"status": "completed", "conclusion": conclusion}


def _check_output(output: CheckRunOutput) -> dict[str, Any]:
    # GitHub's limits: summary and text 65,535 characters each, 50 annotations a request
    out: dict[str, Any] = {"title": output.title[:255], "summary": output.summary[:65_000]}
    if output.text:
        out["text"] = output.text[:65_000]
    if output.annotations:
        out["annotations"] = [
            {
                "path": a.path,
                "start_line": a.start_line,
                "end_line": a.end_line,
                "annotation_level": a.level,
                "title": a.title[:255],
                "message": a.message[:64_000],
            }
            for a in output.annotations[:MAX_ANNOTATIONS]
        ]
    return out


def _workflow_run(data: Any) -> WorkflowRun:
    return WorkflowRun(
        id=int(data["id"]),
        run_attempt=int(data.get("run_attempt") or 1),
        name=str(data.get("name") or ""),
        head_sha=str(data["head_sha"]),
        status=str(data.get("status") or ""),
        conclusion=data["conclusion"] if isinstance(data.get("conclusion"), str) else None,
        html_url=str(data.get("html_url") or ""),
        workflow_id=data["workflow_id"] if isinstance(data.get("workflow_id"), int) else None,
        head_branch=str(data.get("head_branch") or ""),
        event=str(data.get("event") or ""),
    )


def _workflow_job(data: Any) -> WorkflowJob:
    steps = data.get("steps") if isinstance(data.get("steps"), list) else []
    failed = tuple(
        str(s.get("name") or "")
        for s in steps
        if isinstance(s, dict) and s.get("conclusion") in ("failure", "timed_out")
    )
    return WorkflowJob(
        id=int(data["id"]),
        name=str(data.get("name") or ""),
        status=str(data.get("status") or ""),
        conclusion=data["conclusion"] if isinstance(data.get("conclusion"), str) else None,
        html_url=str(data.get("html_url") or ""),
        failed_steps=failed,
    )


def _check_run(data: Any) -> CheckRun:
    external = data.get("external_id")
    return CheckRun(
        id=int(data["id"]),
        name=str(data.get("name") or ""),
        head_sha=str(data.get("head_sha") or ""),
        external_id=external if isinstance(external, str) else None,
        status=str(data.get("status") or ""),
        conclusion=data["conclusion"] if isinstance(data.get("conclusion"), str) else None,
        app_slug=str(app.get("slug") or "") if isinstance(app := data.get("app"), dict) else "",
    )


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
