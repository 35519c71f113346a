"""What the scout crawl needs from the fake GitHub: issues, languages, ETags, PATs, latency.

Mixed into :class:`tests.fakes.fake_github.FakeGitHub`:

* :meth:`ScoutFakeMixin.add_issue` / :meth:`update_issue` / :meth:`set_repo_meta` /
  :meth:`set_languages` seed ``GET /repos/{o}/{r}/issues`` (``labels``, ``state``,
  ``sort``, ``direction``, pagination), ``/languages`` and the repository's metadata.
* :meth:`add_personal_token`: a token (as ``ARGUS_SCOUT_GITHUB_TOKEN``) that reads every
  public repository, whatever its installation.
* ``GET /installation/repositories`` for installation tokens.
* Every ``GET`` answered 200 carries an ``ETag``; a matching ``If-None-Match`` gets a 304
  that, as on GitHub, does not count against ``rate_limit_remaining``.
* ``latency`` (seconds) delays every response; :attr:`in_flight` / :attr:`max_in_flight`
  count concurrent requests.
* :meth:`ScoutFakeMixin.rename_repo`: as on GitHub, every ``/repos/{old}/{name}/…`` request
  then answers ``301 Moved Permanently`` (``{"message", "url"}`` and ``Location``) to
  ``/repositories/{id}/…``, which serves the repository under its new name.
  :meth:`delete_repo` makes it answer 404.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply
    from tests.fakes.fake_github_state import FakeRepo

PAT_INSTALLATION = 0  # the installation id a personal token maps to


@dataclass
class FakeIssue:
    """One issue (or, with ``is_pull``, a pull request as the issues API lists it)."""

    number: int
    title: str
    body: str = ""
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    comments: int = 0
    updated_at: float = field(default_factory=time.time)
    is_pull: bool = False

    def to_json(self, full: str, api: str) -> dict[str, Any]:
        """GitHub's JSON for the issue in a listing."""
        from tests.fakes.fake_github_routes import iso

        data: dict[str, Any] = {
            "id": abs(hash((full, self.number))) % 10**9,
            "number": self.number,
            "title": self.title,
            "body": self.body or None,
            "state": self.state,
            "labels": [{"name": name} for name in self.labels],
            "assignees": [{"login": login} for login in self.assignees],
            "assignee": {"login": self.assignees[0]} if self.assignees else None,
            "comments": self.comments,
            "updated_at": iso(self.updated_at),
            "html_url": f"https://github.com/{full}/issues/{self.number}",
            "url": f"{api}/repos/{full}/issues/{self.number}",
        }
        if self.is_pull:
            data["pull_request"] = {"url": f"{api}/repos/{full}/pulls/{self.number}"}
        return data


def etag_of(body: bytes) -> str:
    """A weak ETag for a response body, as GitHub sends them."""
    return 'W/"' + hashlib.sha1(body, usedforsecurity=False).hexdigest() + '"'


def conditional(
    fake: FakeGitHub,
    method: str,
    headers: dict[str, str],
    status: int,
    out: dict[str, str],
    data: bytes,
) -> tuple[int, dict[str, str], bytes]:
    """Add the ETag, answer 304 on a match, and count the rate limit (not for 304)."""
    if method == "GET" and status == 200:
        tag = etag_of(data)
        out["ETag"] = tag
        if tag in [t.strip() for t in headers.get("if-none-match", "").split(",")]:
            out.pop("Content-Type", None)
            return 304, out, b""
    with fake.lock:
        fake.rate_limit_remaining = max(0, fake.rate_limit_remaining - 1)
    return status, out, data


# ---- routes ---------------------------------------------------------------------------


def list_issues(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import _paginate, _repo

    repo = _repo(fake, call)
    state = call.query.get("state", "open")
    wanted = [w.strip().lower() for w in call.query.get("labels", "").split(",") if w.strip()]
    items = [
        i
        for i in repo.issues.values()
        if state in ("all", i.state) and all(w in [n.lower() for n in i.labels] for w in wanted)
    ]
    key = {"created": lambda i: i.number, "comments": lambda i: i.comments}.get(
        call.query.get("sort", "created"), lambda i: (i.updated_at, i.number)
    )
    items.sort(key=key, reverse=call.query.get("direction", "desc") == "desc")
    full = f"{repo.owner}/{repo.name}"
    return _paginate(fake, call, [i.to_json(full, fake.base_url) for i in items])


def get_languages(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, _repo

    return Reply(200, dict(_repo(fake, call).languages))


def list_installation_repos(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply, _paginate

    repos = [
        r.to_json(fake.base_url)
        for r in fake._repos.values()
        if r.installation_id == call.installation_id
    ]
    page = _paginate(fake, call, repos)
    return Reply(200, {"total_count": len(repos), "repositories": page.body}, page.headers)


_BY_NAME = re.compile(r"^/repos/([^/]+)/([^/]+)(/.*)?$")
_BY_ID = re.compile(r"^/repositories/(\d+)(/.*)?$")


def moved_or_by_id(fake: FakeGitHub, call: Call) -> Reply | None:
    """A 301 for a renamed repository's old name; ``/repositories/{id}/…`` served by name.

    Called before routing (under the fake's lock): returns the 301, or rewrites
    ``call.path`` of an id URL to the repository's current name and returns None.
    """
    from tests.fakes.fake_github_routes import DOCS, Reply

    by_name = _BY_NAME.match(call.path)
    if by_name is not None:
        key = (by_name[1].lower(), by_name[2].lower())
        repo_id = fake._moved.get(key)
        if repo_id is None or key in fake._repos:
            return None
        url = f"{fake.base_url}/repositories/{repo_id}{by_name[3] or ''}"
        if call.query:
            url += "?" + urlencode(call.query)
        body = {
            "message": "Moved Permanently",
            "url": url,
            "documentation_url": f"{DOCS}/overview/resources-in-the-rest-api",
        }
        return Reply(301, body, {"Location": url})
    by_id = _BY_ID.match(call.path)
    if by_id is not None:
        repo = next((r for r in fake._repos.values() if r.id == int(by_id[1])), None)
        if repo is not None:
            call.path = f"/repos/{repo.owner}/{repo.name}{by_id[2] or ''}"
    return None


def scout_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler) of the scout endpoints."""
    repo = r"/repos/([^/]+)/([^/]+)"
    return [
        ("GET", f"{repo}/issues", "installation", list_issues),
        ("GET", f"{repo}/languages", "installation", get_languages),
        ("GET", "/installation/repositories", "installation", list_installation_repos),
    ]


# ---- set-up and inspection ------------------------------------------------------------


class ScoutFakeMixin:
    """Scout set-up methods of FakeGitHub (see the module docstring)."""

    lock: threading.RLock
    _tokens: dict[str, tuple[int, float]]
    _repos: dict[tuple[str, str], FakeRepo]
    repo: Callable[..., Any]
    latency: float = 0.0

    def _init_scout(self) -> None:
        self._moved: dict[tuple[str, str], int] = {}  # old (owner, name) lower → repository id
        self.latency = 0.0
        self.in_flight = 0
        self.max_in_flight = 0
        self._flight_lock = threading.Lock()

    def _timed(self, serve: Callable[[], tuple[int, dict[str, str], bytes]]) -> Any:
        with self._flight_lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            return serve()
        finally:
            with self._flight_lock:
                self.in_flight -= 1

    def reset_flight(self) -> None:
        """Forget the in-flight high-water mark."""
        with self._flight_lock:
            self.max_in_flight = 0

    def add_personal_token(self, token: str) -> None:
        """A token that reads every public repository (like a PAT)."""
        with self.lock:
            self._tokens[token] = (PAT_INSTALLATION, float("inf"))

    def set_repo_meta(self, owner: str, name: str, **meta: Any) -> None:
        """Change repository metadata (description, language, stars, topics, archived …)."""
        with self.lock:
            repo = self.repo(owner, name)
            for key, value in meta.items():
                if not hasattr(repo, key):
                    raise AttributeError(f"FakeRepo has no field {key!r}")
                setattr(repo, key, value)

    def rename_repo(self, owner: str, name: str, new_owner: str, new_name: str) -> None:
        """Rename or transfer a repository; its old name answers 301 from now on."""
        with self.lock:
            repo = self._repos.pop((owner.lower(), name.lower()))
            repo.owner, repo.name = new_owner, new_name
            self._repos[(new_owner.lower(), new_name.lower())] = repo
            self._moved[(owner.lower(), name.lower())] = repo.id

    def delete_repo(self, owner: str, name: str) -> None:
        """Delete a repository: it answers 404 from now on."""
        with self.lock:
            del self._repos[(owner.lower(), name.lower())]

    def set_languages(self, owner: str, name: str, languages: dict[str, int]) -> None:
        """What ``GET /repos/{o}/{r}/languages`` answers."""
        self.set_repo_meta(owner, name, languages=dict(languages))

    def add_issue(self, owner: str, name: str, number: int, title: str, **fields: Any) -> FakeIssue:
        """Open an issue (``labels=[…]``, ``assignees=[…]``, ``comments=n`` …)."""
        with self.lock:
            issue = FakeIssue(number, title, **fields)
            self.repo(owner, name).issues[number] = issue
            return issue

    def update_issue(self, owner: str, name: str, number: int, **changes: Any) -> FakeIssue:
        """Change an issue (``state="closed"``, ``assignees=[…]`` …); bumps ``updated_at``."""
        with self.lock:
            issue: FakeIssue = self.repo(owner, name).issues[number]
            for key, value in changes.items():
                if not hasattr(issue, key):
                    raise AttributeError(f"FakeIssue has no field {key!r}")
                setattr(issue, key, value)
            if "updated_at" not in changes:
                issue.updated_at = max(time.time(), issue.updated_at + 1)
            return issue


def seed_listed_repos(
    fake: Any, data_json: str, *, issues_per_repo: int = 3, label_of: Callable[[str], str]
) -> list[str]:
    """Publish ``data.json`` as MunGell/awesome-for-beginners and add each GitHub repository
    it lists with ``issues_per_repo`` issues under the label ``label_of(full_name)`` (the
    last one assigned, so it stays out of the catalogue) plus one pull request."""
    import json as _json

    fake.add_repo("MunGell", "awesome-for-beginners", installation_id=99)
    fake.set_file("MunGell", "awesome-for-beginners", "data.json", data_json)
    names: list[str] = []
    for entry in _json.loads(data_json)["repositories"]:
        parts = entry["link"].rstrip("/").split("/")
        if "github.com" not in entry["link"] or len(parts) != 5:
            continue
        owner, name = parts[3], parts[4]
        full = f"{owner}/{name}"
        if full.lower() in {n.lower() for n in names}:
            continue
        names.append(full)
        fake.add_repo(owner, name, installation_id=99)
        fake.set_repo_meta(
            owner,
            name,
            description=entry.get("description"),
            language=(entry.get("technologies") or [None])[0],
            stars=10,
        )
        label = label_of(full)
        for n in range(1, issues_per_repo + 1):
            fake.add_issue(
                owner,
                name,
                n,
                f"Issue {n} of {full}",
                labels=[label],
                comments=n,
                updated_at=1767225600.0 + n,
                assignees=["someone"] if n == issues_per_repo else [],
            )
        fake.add_issue(
            owner,
            name,
            1000,
            "A pull request",
            labels=[label],
            is_pull=True,
            updated_at=1767225600.0,
        )
    return names
