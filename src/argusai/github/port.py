"""The port the worker uses to talk to GitHub for one installation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from argusai.core.diff import ChangedFile


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
class Issue:
    """An issue, or a pull request seen through the issues API (``is_pull_request``)."""

    number: int
    title: str
    body: str
    state: str  # open | closed
    is_pull_request: bool = False


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree: a file (``blob``), a folder (``tree``) or a submodule."""

    path: str
    mode: str  # git's octal string: 100644, 100755, 120000 (symlink), 040000, 160000
    type: str  # blob | tree | commit
    sha: str
    size: int | None = None  # bytes, for blobs


@dataclass(frozen=True)
class RepoTree:
    """A commit's whole tree (``recursive=1``); ``truncated``: GitHub left entries out."""

    sha: str  # the tree's own id (content-addressed: equal trees, equal ids)
    entries: tuple[TreeEntry, ...]
    truncated: bool = False


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
class ReviewComment:
    """One inline review comment (a thread's root when ``in_reply_to_id`` is None)."""

    id: int
    body: str
    author: str
    author_is_bot: bool
    path: str
    line: int | None  # RIGHT-side line at ``commit_id`` (None: outdated)
    start_line: int | None
    original_line: int | None  # the line at ``original_commit_id``, when it was posted
    original_start_line: int | None
    commit_id: str
    original_commit_id: str
    in_reply_to_id: int | None = None
    diff_hunk: str = ""


@dataclass(frozen=True)
class Reaction:
    """One reaction on a comment (``+1``, ``-1``, ``eyes``, …) and who left it."""

    content: str
    user: str
    user_is_bot: bool = False


@dataclass(frozen=True)
class ReviewCommentDraft:
    """One inline comment of a review to be created (right side of the diff)."""

    path: str
    line: int
    body: str
    start_line: int | None = None


@dataclass(frozen=True)
class WorkflowRun:
    """One attempt of a GitHub Actions workflow run, as ``GET …/actions/runs/{id}`` shows it."""

    id: int
    run_attempt: int
    name: str
    head_sha: str
    status: str  # queued | in_progress | completed
    conclusion: str | None  # success | failure | timed_out | cancelled | …
    html_url: str = ""
    workflow_id: int | None = None
    head_branch: str = ""
    event: str = ""  # push | pull_request | workflow_dispatch | …


@dataclass(frozen=True)
class WorkflowJob:
    """One job of a workflow run attempt."""

    id: int
    name: str
    status: str
    conclusion: str | None
    html_url: str = ""
    failed_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobLog:
    """A job's log, at most ``max_bytes`` of it: the tail when the log is longer."""

    data: bytes
    total_bytes: int  # bytes GitHub sent (read through), ≥ len(data)
    truncated: bool  # the head was dropped to stay under the cap
    refused: bool = False  # too large even to read through: ``data`` is empty


@dataclass(frozen=True)
class CheckAnnotation:
    """A note on lines of a file at the check run's commit (GitHub takes 50 per request)."""

    path: str
    start_line: int
    end_line: int
    level: str  # notice | warning | failure
    title: str
    message: str


@dataclass(frozen=True)
class CheckRunOutput:
    """What a check run shows: title, summary (markdown), optional details text, annotations."""

    title: str
    summary: str
    text: str | None = None
    annotations: tuple[CheckAnnotation, ...] = ()


@dataclass(frozen=True)
class CheckRun:
    id: int
    name: str
    head_sha: str
    external_id: str | None
    status: str
    conclusion: str | None
    #: the App that made it (``github-actions`` for a workflow's ``GITHUB_TOKEN``): only it
    #: may update the check run
    app_slug: str = ""


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

    def get_issue(self, owner: str, repo: str, number: int) -> Issue:
        """An issue (or a PR, through the issues API) with its full body."""
        ...

    def get_tree(self, owner: str, repo: str, sha: str, *, recursive: bool = True) -> RepoTree:
        """The tree of a commit (or tree) ``sha``: whole, or its own entries only."""
        ...

    def get_blob_text(self, owner: str, repo: str, blob_sha: str) -> str | None:
        """A blob's text by its id; None when it is binary or not UTF-8."""
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

    # ---- conversation: commands, thread replies, reactions ------------------------------

    def list_review_comments(self, owner: str, repo: str, number: int) -> list[ReviewComment]:
        """Every inline review comment of the PR with ids, authors and thread links."""
        ...

    def get_review_comment(self, owner: str, repo: str, comment_id: int) -> ReviewComment:
        """One inline review comment by id."""
        ...

    def reply_to_review_comment(
        self, owner: str, repo: str, number: int, comment_id: int, body: str
    ) -> int:
        """Reply in the thread of review comment ``comment_id`` (a thread's root); the id."""
        ...

    def add_reaction(
        self, owner: str, repo: str, comment_id: int, content: str, *, review_comment: bool
    ) -> None:
        """React to a conversation comment (or, ``review_comment``, an inline one)."""
        ...

    def list_reactions(
        self, owner: str, repo: str, comment_id: int, *, review_comment: bool
    ) -> list[Reaction]:
        """The reactions on a conversation comment (or an inline one)."""
        ...

    def collaborator_permission(self, owner: str, repo: str, user: str) -> str:
        """``admin``, ``maintain``, ``write``, ``triage``, ``read`` or ``none`` (briefly cached)."""
        ...

    def get_workflow_run(self, owner: str, repo: str, run_id: int) -> WorkflowRun:
        """The run's latest attempt."""
        ...

    def list_run_attempt_jobs(
        self, owner: str, repo: str, run_id: int, attempt: int
    ) -> list[WorkflowJob]:
        """The jobs of one attempt of a workflow run."""
        ...

    def list_workflow_runs(
        self, owner: str, repo: str, workflow_id: int, *, branch: str, status: str, limit: int
    ) -> list[WorkflowRun]:
        """The workflow's latest runs on ``branch`` with ``status`` (``success``), newest first."""
        ...

    def download_job_log(self, owner: str, repo: str, job_id: int, *, max_bytes: int) -> JobLog:
        """A job's plain-text log (GitHub redirects to a blob URL), capped at ``max_bytes``."""
        ...

    def list_check_runs(self, owner: str, repo: str, ref: str, *, name: str) -> list[CheckRun]:
        """Check runs called ``name`` on a commit."""
        ...

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
        """Create a check run, completed with ``conclusion`` (None: in progress); its id."""
        ...

    def update_check_run(
        self,
        owner: str,
        repo: str,
        check_run_id: int,
        *,
        conclusion: str | None,
        output: CheckRunOutput,
    ) -> None:
        """Set a check run's output (annotations are added) and, unless None, its conclusion."""
        ...

    def dispatch_repository_event(
        self, owner: str, repo: str, *, event_type: str, client_payload: dict[str, object]
    ) -> None:
        """Send a ``repository_dispatch`` event (starts the workflows listening to it)."""
        ...


class GitHubAppClient(Protocol):
    """The App itself: hands out per-installation clients."""

    def for_installation(self, installation_id: int) -> GitHubRepoClient: ...

    def app_slug(self) -> str:
        """The App's slug (``GET /app``, cached): ``@<slug>`` addresses it, ``<slug>[bot]``
        is the login of what it posts."""
        ...
