"""A fake GitHub REST API on 127.0.0.1, for tests and benchmarks of the real client.

It is a real HTTP server (stdlib ``ThreadingHTTPServer`` in a background thread,
HTTP/1.1 keep-alive), so githubkit, httpx and the App auth flow run unchanged.
State lives in memory behind one lock; every public method is thread-safe.

Usage::

    private_pem, public_pem = generate_rsa_keypair()          # tests/fakes/keys.py
    with FakeGitHub(app_id=42, public_key_pem=public_pem) as gh:
        gh.add_repo("octo", "hello", installation_id=7)
        gh.set_file("octo", "hello", ".argus.yml", "review: {}\\n")    # default branch
        pr = gh.add_pull("octo", "hello", 1, files={"a.py": "@@ -0,0 +1,2 @@\\n+x\\n+y"})
        app = GitHubApp(42, private_pem, base_url=gh.base_url)
        ...
        gh.reviews("octo", "hello", 1)            # what was posted

Served under an optional path ``prefix`` (``FakeGitHub(..., prefix="/api/v3")``),
as GitHub Enterprise Server does.

Authentication, as GitHub does it:

* App endpoints (``/app/...``, ``/repos/{o}/{r}/installation``) need
  ``Authorization: Bearer <JWT>`` signed RS256 by the App's key, ``iss`` = App id,
  not expired, lifetime ≤ 10 min; else 401.
* ``POST /app/installations/{id}/access_tokens`` issues ``ghs_…`` tokens valid for
  ``token_ttl`` seconds; :meth:`FakeGitHub.tokens_issued` counts them.
* Every other endpoint needs ``Authorization: token|Bearer <issued token>`` (401
  otherwise) and only sees repositories of that token's installation (404 otherwise).
* An ``X-GitHub-Api-Version`` outside ``supported_api_versions`` gets 400.

Endpoints: ``GET /app``, ``GET /app/installations``, the token and installation
lookups above, ``GET /app/hook/deliveries``, ``POST /app/hook/deliveries/{id}/attempts``;
for repositories ``GET /repos/{o}/{r}``, ``/contents/{path}?ref=`` (base64 JSON, or raw
bytes with ``Accept: application/vnd.github.raw``), ``/pulls/{n}``, ``/pulls/{n}/files``
(paginated, ``Link`` headers, 3000 cap), ``/compare/{base}...{head}``, issue comments
(list / create / ``PATCH /issues/comments/{id}``), ``/pulls/{n}/comments`` (list) and
``/pulls/{n}/reviews`` (list / create). Creating a review checks every comment's
``path``/``line``/``side`` (and ``start_line``) against the lines of that file's patch
with the fake's own hunk parser, and ``commit_id`` against the head: 422 otherwise,
and nothing is stored.

Set-up: :meth:`add_repo`, :meth:`add_installation`, :meth:`set_file`, :meth:`add_pull`
(files as :class:`FakeFile` list, ``{path: patch}`` or a ``git diff`` text),
:meth:`update_pull` (a push), :meth:`set_compare`, :meth:`add_issue_comment`,
:meth:`add_review_comment`, :meth:`add_delivery`, :meth:`expire_tokens`.
Inspection: :meth:`reviews`, :meth:`issue_comments`, :meth:`review_comments`,
:meth:`tokens_issued`, :meth:`redeliveries`, :meth:`requests` (log of every request).
Scout (issues, languages, ETags / 304, personal tokens, latency, in-flight counter):
see ``fake_github_scout``. Git trees (recursive, git's real ids) and blobs by id, with
:meth:`route_counts` per handler: see ``fake_github_git``. Actions (workflow runs, jobs per
attempt, job logs answered with a 302 to a blob server on another origin) and check runs:
see ``fake_github_actions``. A workflow's ``GITHUB_TOKEN`` (``actions_token``: posts as
``github-actions[bot]``) and ``repository_dispatch``: see ``fake_github_workflow``.
Review threads (replies), reactions and collaborator permissions: see
``fake_github_conversation``.
Faults: :meth:`fail` queues canned responses per method + path pattern;
:meth:`rate_limit_primary` / :meth:`rate_limit_secondary` are shorthands.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import deque
from fnmatch import fnmatchcase
from typing import Any

from tests.fakes.fake_github_actions import ActionsFakeMixin, FakeJob
from tests.fakes.fake_github_conversation import ConversationFakeMixin
from tests.fakes.fake_github_git import GitFakeMixin
from tests.fakes.fake_github_routes import dispatch
from tests.fakes.fake_github_scout import FakeIssue, ScoutFakeMixin
from tests.fakes.fake_github_server import Server
from tests.fakes.fake_github_state import (
    FakeFile,
    FakePull,
    FakeRepo,
    Fault,
    FaultRule,
    RecordedRequest,
    as_files,
    fake_sha,
)
from tests.fakes.fake_github_workflow import WorkflowFakeMixin

__all__ = ["FakeFile", "FakeGitHub", "FakeIssue", "FakeJob", "RecordedRequest"]


class FakeGitHub(
    ConversationFakeMixin, GitFakeMixin, ActionsFakeMixin, ScoutFakeMixin, WorkflowFakeMixin, Server
):
    """GitHub's REST API for one App, in memory, on a loopback port."""

    def __init__(
        self,
        *,
        app_id: int,
        public_key_pem: str,
        prefix: str = "",
        app_slug: str = "argusai",
        token_ttl: float = 3600.0,
        supported_api_versions: tuple[str, ...] = ("2022-11-28", "2026-03-10"),
    ) -> None:
        super().__init__(prefix=prefix)
        self.app_id = app_id
        self.public_key_pem = public_key_pem
        self.app_slug = app_slug
        self.token_ttl = token_ttl
        self.supported_api_versions = supported_api_versions
        self.rate_limit_remaining = 4999
        self.lock = threading.RLock()
        self._ids = itertools.count(1000)
        self._installations: dict[int, str] = {}  # id → account login
        self._repos: dict[tuple[str, str], FakeRepo] = {}
        self._tokens: dict[str, tuple[int, float]] = {}  # token → (installation, expires_at)
        self._issued: list[int] = []  # installation id of each token issued
        self._deliveries: dict[int, dict[str, Any]] = {}
        self._redeliveries: list[int] = []
        self._faults: list[FaultRule] = []
        self._log: list[RecordedRequest] = []
        self._init_scout()
        self._init_actions()
        self._init_git()
        self._init_workflow()

    def _handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        return self._timed(lambda: dispatch(self, method, raw_path, headers, body))  # type: ignore[no-any-return]

    @property
    def bot_login(self) -> str:
        """The login GitHub shows for the App's own comments."""
        return f"{self.app_slug}[bot]"

    # ---- set-up ----------------------------------------------------------------------

    def add_installation(self, installation_id: int, account: str) -> None:
        """Install the App on ``account``."""
        with self.lock:
            self._installations[installation_id] = account

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        default_branch: str = "main",
        installation_id: int = 1,
        private: bool = False,
    ) -> FakeRepo:
        """Add a repository (and its installation, when new); returns its state."""
        with self.lock:
            self._installations.setdefault(installation_id, owner)
            repo = FakeRepo(owner, name, default_branch, installation_id, next(self._ids), private)
            self._repos[(owner.lower(), name.lower())] = repo
            return repo

    def repo(self, owner: str, name: str) -> FakeRepo:
        """The state of a repository (mutate it only under ``self.lock``)."""
        with self.lock:
            return self._repos[(owner.lower(), name.lower())]

    def set_file(
        self, owner: str, name: str, path: str, content: str | bytes, *, ref: str | None = None
    ) -> None:
        """Put a file at ``ref`` (default: the default branch) for the contents API."""
        data = content.encode() if isinstance(content, str) else content
        with self.lock:
            repo = self.repo(owner, name)
            repo.contents.setdefault(ref or repo.default_branch, {})[path.strip("/")] = data

    def add_pull(
        self,
        owner: str,
        name: str,
        number: int,
        *,
        files: Any = None,
        title: str = "A change",
        body: str = "",
        author: str = "octocat",
        draft: bool = False,
        state: str = "open",
        head_sha: str | None = None,
        head_ref: str = "feature",
        base_sha: str | None = None,
        base_ref: str | None = None,
    ) -> FakePull:
        """Open a pull request; ``files``: FakeFile list, ``{path: patch}`` or git diff."""
        with self.lock:
            repo = self.repo(owner, name)
            pull = FakePull(
                number=number,
                title=title,
                body=body,
                state=state,
                draft=draft,
                head_sha=head_sha or fake_sha("head"),
                head_ref=head_ref,
                base_sha=base_sha or fake_sha("base"),
                base_ref=base_ref or repo.default_branch,
                author=author,
                files=as_files(files),
            )
            repo.pulls[number] = pull
            return pull

    def update_pull(self, owner: str, name: str, number: int, **changes: Any) -> FakePull:
        """Change a pull request (a push: ``head_sha=…, files=…``; or title, state …)."""
        with self.lock:
            pull = self.repo(owner, name).pulls[number]
            for key, value in changes.items():
                if not hasattr(pull, key):
                    raise AttributeError(f"FakePull has no field {key!r}")
                setattr(pull, key, as_files(value) if key == "files" else value)
            return pull

    def set_compare(
        self,
        owner: str,
        name: str,
        base: str,
        head: str,
        *,
        status: str = "ahead",
        ahead_by: int = 1,
        behind_by: int = 0,
        files: Any = None,
    ) -> None:
        """What ``GET /compare/{base}...{head}`` answers."""
        with self.lock:
            repo = self.repo(owner, name)
            repo.compares[f"{base}...{head}"] = {
                "status": status,
                "ahead_by": ahead_by,
                "behind_by": behind_by,
                "total_commits": ahead_by,
                "commits": [],
                "files": [f.to_json(head) for f in as_files(files)],
            }

    def add_issue_comment(
        self, owner: str, name: str, number: int, body: str, *, author: str = "octocat"
    ) -> int:
        """Seed a conversation comment; returns its id."""
        with self.lock:
            return int(self._new_issue_comment(self.repo(owner, name), number, body, author)["id"])

    def add_review_comment(
        self,
        owner: str,
        name: str,
        number: int,
        *,
        path: str,
        line: int,
        body: str,
        author: str = "octocat",
    ) -> int:
        """Seed an inline review comment (not validated); returns its id."""
        with self.lock:
            repo = self.repo(owner, name)
            pull = repo.pulls[number]
            comment = self._review_comment(
                repo, pull, None, {"path": path, "line": line, "body": body}, author
            )
            return int(comment["id"])

    def add_delivery(
        self,
        guid: str,
        event: str,
        *,
        action: str | None = None,
        status_code: int = 200,
        installation_id: int | None = None,
        redelivery: bool = False,
    ) -> int:
        """Record a webhook delivery for ``GET /app/hook/deliveries``; returns its id."""
        with self.lock:
            delivery_id = next(self._ids)
            self._deliveries[delivery_id] = {
                "id": delivery_id,
                "guid": guid,
                "event": event,
                "action": action,
                "status_code": status_code,
                "status": "OK" if status_code < 400 else "failed",
                "delivered_at": _iso(time.time()),
                "redelivery": redelivery,
                "duration": 0.1,
                "installation_id": installation_id,
                "repository_id": None,
            }
            return delivery_id

    def expire_tokens(self) -> None:
        """Make every issued installation token invalid (as if it expired or was revoked)."""
        with self.lock:
            self._tokens.clear()

    # ---- faults ----------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` instead.

        ``method`` may be ``"*"``; ``path`` is an fnmatch pattern on the API path
        without prefix and query (``"/repos/o/r/pulls/*/files"``, ``"*"``).
        ``delay`` sleeps before answering (to provoke client timeouts).
        """
        body = json if json is not None else {"message": _reason(status)}
        fault = Fault(status, dict(headers or {}), body, delay)
        with self.lock:
            rule = next(
                (r for r in self._faults if r.method == method.upper() and r.pattern == path),
                None,
            )
            if rule is None:
                rule = FaultRule(method.upper(), path, deque())
                self._faults.append(rule)
            rule.queue.extend([fault] * times)

    def rate_limit_primary(
        self, method: str, path: str, *, reset_in: float = 3600, times: int = 1
    ) -> None:
        """The primary rate limit: 403, ``x-ratelimit-remaining: 0``, a reset time."""
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(time.time() + reset_in)),
        }
        message = "API rate limit exceeded for installation ID 1."
        self.fail(method, path, 403, headers=headers, json={"message": message}, times=times)

    def rate_limit_secondary(
        self, method: str, path: str, *, retry_after: int = 60, status: int = 429, times: int = 1
    ) -> None:
        """A secondary rate limit: 429 (or 403) with ``retry-after``."""
        message = "You have exceeded a secondary rate limit. Please wait a few minutes."
        headers = {"retry-after": str(retry_after)}
        self.fail(method, path, status, headers=headers, json={"message": message}, times=times)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for rule in self._faults:
                if rule.queue and rule.method in ("*", method) and fnmatchcase(path, rule.pattern):
                    return rule.queue.popleft()
        return None

    # ---- inspection ------------------------------------------------------------------

    def reviews(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        """Reviews created on the PR, oldest first (copies), each with its ``comments``."""
        with self.lock:
            repo = self.repo(owner, name)
            return [
                {
                    **r,
                    "comments": [
                        _public(c)
                        for c in repo.review_comments.values()
                        if c["pull_request_review_id"] == r["id"]
                    ],
                }
                for r in repo.reviews.get(number, [])
            ]

    def issue_comments(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        """Conversation comments of the issue / PR, oldest first (copies)."""
        with self.lock:
            repo = self.repo(owner, name)
            return [_public(c) for c in repo.issue_comments.values() if c["_issue"] == number]

    def review_comments(self, owner: str, name: str, number: int) -> list[dict[str, Any]]:
        """Inline review comments of the PR, oldest first (copies)."""
        with self.lock:
            repo = self.repo(owner, name)
            return [_public(c) for c in repo.review_comments.values() if c["_pull"] == number]

    def tokens_issued(self, installation_id: int | None = None) -> int:
        """How many installation tokens were issued (for one installation, or all)."""
        with self.lock:
            return sum(1 for i in self._issued if installation_id in (None, i))

    def redeliveries(self) -> list[int]:
        """Ids of deliveries someone asked to redeliver, in order."""
        with self.lock:
            return list(self._redeliveries)

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Logged requests, optionally filtered by method and fnmatch path pattern."""
        with self.lock:
            return [
                r
                for r in self._log
                if (method is None or r.method == method.upper())
                and (path is None or fnmatchcase(r.path, path))
            ]

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self.lock:
            self._log.clear()

    # ---- used by the routes (under the lock) -------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self.lock:
            self._log.append(request)

    def _issue_token(self, installation_id: int) -> tuple[str, float]:
        token = "ghs_" + secrets.token_urlsafe(27).replace("-", "a").replace("_", "b")
        expires_at = time.time() + self.token_ttl
        self._tokens[token] = (installation_id, expires_at)
        self._issued.append(installation_id)
        return token, expires_at

    def _installation_for_token(self, token: str) -> int | None:
        with self.lock:
            entry = self._tokens.get(token)
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def _new_issue_comment(
        self, repo: FakeRepo, number: int, body: str, author: str
    ) -> dict[str, Any]:
        comment_id = next(self._ids)
        now = _iso(time.time())
        full = f"{repo.owner}/{repo.name}"
        comment = {
            "id": comment_id,
            "body": body,
            "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
            "created_at": now,
            "updated_at": now,
            "html_url": f"https://github.com/{full}/pull/{number}#issuecomment-{comment_id}",
            "_issue": number,
        }
        repo.issue_comments[comment_id] = comment
        return comment

    def _review_comment(
        self,
        repo: FakeRepo,
        pull: FakePull,
        review_id: int | None,
        data: dict[str, Any],
        author: str,
    ) -> dict[str, Any]:
        comment_id = next(self._ids)
        comment = {
            "id": comment_id,
            "pull_request_review_id": review_id,
            "path": data["path"],
            "line": data["line"],
            "side": data.get("side", "RIGHT"),
            "start_line": data.get("start_line"),
            "start_side": data.get("start_side"),
            "body": data["body"],
            "commit_id": pull.head_sha,
            "user": {"login": author},
            "created_at": _iso(time.time()),
            "_pull": pull.number,
        }
        repo.review_comments[comment_id] = comment
        return comment

    def _new_review(
        self,
        repo: FakeRepo,
        pull: FakePull,
        data: dict[str, Any],
        comments: list[Any],
        author: str | None = None,
    ) -> dict[str, Any]:
        review_id = next(self._ids)
        author = author or self.bot_login
        for c in comments:
            self._review_comment(repo, pull, review_id, c, author)
        state = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(
            str(data.get("event")), "COMMENTED" if data.get("event") else "PENDING"
        )
        review = {
            "id": review_id,
            "user": {"login": author, "type": "Bot"},
            "body": data.get("body") or "",
            "state": state,
            "commit_id": pull.head_sha,
            "submitted_at": _iso(time.time()),
        }
        repo.reviews.setdefault(pull.number, []).append(review)
        return dict(review)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
