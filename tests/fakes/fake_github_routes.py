"""The REST endpoints the fake GitHub plays (see ``fake_github``); called under its lock."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import jwt

from tests.fakes.fake_github_actions import actions_routes
from tests.fakes.fake_github_conversation import conversation_routes
from tests.fakes.fake_github_git import git_routes
from tests.fakes.fake_github_issue import issue_routes
from tests.fakes.fake_github_manifest import manifest_routes, site_page
from tests.fakes.fake_github_oauth import oauth_routes
from tests.fakes.fake_github_scout import (
    PAT_INSTALLATION,
    conditional,
    moved_or_by_id,
    scout_routes,
)
from tests.fakes.fake_github_state import (
    FakePull,
    FakeRepo,
    RecordedRequest,
    Unprocessable,
    check_review_comment,
)
from tests.fakes.fake_github_workflow import workflow_routes

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub

DOCS = "https://docs.github.com/rest"
FILES_CAP = 3000


@dataclass
class Call:
    """One request as a handler sees it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    args: tuple[str, ...] = ()
    installation_id: int | None = None  # set for installation-token calls
    site: bool = False  # a page of the site, outside the API prefix (GitHub Enterprise)


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


class HttpError(Exception):
    """An error response in GitHub's shape."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"message": message, "documentation_url": DOCS, "status": str(status), **extra}


def iso(epoch: float) -> str:
    """GitHub's timestamp format."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def not_found() -> HttpError:
    """GitHub's 404 (also what it answers for a repository you may not see)."""
    return HttpError(404, "Not Found")


def _paginate(fake: FakeGitHub, call: Call, items: list[Any], cap: int | None = None) -> Reply:
    """A page of ``items`` with GitHub's ``Link`` header (page / per_page)."""
    if cap is not None:
        items = items[:cap]
    try:
        per_page = max(1, min(100, int(call.query.get("per_page", "30"))))
        page = max(1, int(call.query.get("page", "1")))
    except ValueError as exc:
        raise HttpError(400, "Bad pagination parameter") from exc
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]

    def link(n: int) -> str:
        query = {**call.query, "per_page": str(per_page), "page": str(n)}
        return f"<{fake.base_url}{call.path}?{urlencode(query)}>"

    rels = []
    if page < last:
        rels += [f'{link(page + 1)}; rel="next"', f'{link(last)}; rel="last"']
    if page > 1:
        rels += [f'{link(1)}; rel="first"', f'{link(page - 1)}; rel="prev"']
    return Reply(200, chunk, {"Link": ", ".join(rels)} if rels else {})


# ---- App (JWT) ------------------------------------------------------------------------


def get_app(fake: FakeGitHub, call: Call) -> Reply:
    return Reply(200, {"id": fake.app_id, "slug": fake.app_slug, "name": fake.app_slug})


def list_installations(fake: FakeGitHub, call: Call) -> Reply:
    items = [{"id": i, "account": {"login": a}} for i, a in sorted(fake._installations.items())]
    return _paginate(fake, call, items)


def create_token(fake: FakeGitHub, call: Call) -> Reply:
    installation_id = int(call.args[0])
    if installation_id not in fake._installations:
        raise not_found()
    token, expires_at = fake._issue_token(installation_id)
    body = {
        "token": token,
        "expires_at": iso(expires_at),
        "permissions": {"contents": "read", "pull_requests": "write", "issues": "write"},
        "repository_selection": "all",
    }
    return Reply(201, body)


def repo_installation(fake: FakeGitHub, call: Call) -> Reply:
    repo = fake._repos.get((unquote(call.args[0]).lower(), unquote(call.args[1]).lower()))
    if repo is None:
        raise not_found()
    account = fake._installations[repo.installation_id]
    return Reply(
        200,
        {
            "id": repo.installation_id,
            "app_id": fake.app_id,
            "account": {"login": account},
            "target_type": "Organization",
        },
    )


def list_deliveries(fake: FakeGitHub, call: Call) -> Reply:
    items = sorted(fake._deliveries.values(), key=lambda d: -int(d["id"]))
    return _paginate(fake, call, items)


def redeliver(fake: FakeGitHub, call: Call) -> Reply:
    delivery_id = int(call.args[0])
    if delivery_id not in fake._deliveries:
        raise not_found()
    fake._redeliveries.append(delivery_id)
    return Reply(202, {})


# ---- installation endpoints -----------------------------------------------------------


def _repo(fake: FakeGitHub, call: Call) -> FakeRepo:
    repo = fake._repos.get((unquote(call.args[0]).lower(), unquote(call.args[1]).lower()))
    if repo is None:
        raise not_found()
    public_read = call.installation_id == PAT_INSTALLATION and not repo.private
    if repo.installation_id != call.installation_id and not public_read:
        raise not_found()
    return repo


def _pull(repo: FakeRepo, number: str) -> FakePull:
    pull = repo.pulls.get(int(number))
    if pull is None:
        raise not_found()
    return pull


def get_repo(fake: FakeGitHub, call: Call) -> Reply:
    return Reply(200, _repo(fake, call).to_json(fake.base_url))


def get_contents(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    path = unquote(call.args[2]).strip("/")
    ref = call.query.get("ref") or repo.default_branch
    content = repo.contents.get(ref, {}).get(path)
    if content is None:
        raise not_found()
    if "raw" in call.headers.get("accept", ""):
        return Reply(200, content, {"Content-Type": "application/vnd.github.raw"})
    encoded = base64.encodebytes(content).decode()  # GitHub wraps at 60-76 columns too
    return Reply(
        200,
        {
            "type": "file",
            "encoding": "base64",
            "size": len(content),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": encoded,
            "sha": fake_blob_sha(content),
        },
    )


def fake_blob_sha(content: bytes) -> str:
    """git's blob id of ``content``."""
    header = f"blob {len(content)}\0".encode()
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def get_pull(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    return Reply(200, _pull(repo, call.args[2]).to_json(repo, fake.base_url))


def list_pull_files(fake: FakeGitHub, call: Call) -> Reply:
    pull = _pull(_repo(fake, call), call.args[2])
    items = [f.to_json(pull.head_sha) for f in pull.files]
    return _paginate(fake, call, items, cap=FILES_CAP)


def compare(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    spec = unquote(call.args[2])
    result = repo.compares.get(spec)
    if result is None:
        raise not_found()
    return Reply(200, result)


def list_issue_comments(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    number = int(call.args[2])
    items = [c for c in repo.issue_comments.values() if c["_issue"] == number]
    return _paginate(fake, call, [_public(c) for c in items])


def create_issue_comment(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    number = int(call.args[2])
    if number not in repo.pulls:
        raise not_found()
    body = (call.json or {}).get("body")
    if not isinstance(body, str) or not body:
        raise HttpError(422, "Validation Failed", errors=[{"field": "body", "code": "missing"}])
    comment = fake._new_issue_comment(repo, number, body, fake.actor(call)[0])
    return Reply(201, _public(comment))


def update_issue_comment(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    comment = repo.issue_comments.get(int(call.args[2]))
    if comment is None:
        raise not_found()
    body = (call.json or {}).get("body")
    if not isinstance(body, str) or not body:
        raise HttpError(422, "Validation Failed", errors=[{"field": "body", "code": "missing"}])
    comment["body"] = body
    comment["updated_at"] = iso(time.time())
    return Reply(200, _public(comment))


def list_review_comments(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    number = int(call.args[2])
    _pull(repo, call.args[2])
    items = [c for c in repo.review_comments.values() if c["_pull"] == number]
    return _paginate(fake, call, [_public(c) for c in items])


def list_reviews(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    _pull(repo, call.args[2])
    return _paginate(fake, call, list(repo.reviews.get(int(call.args[2]), [])))


def create_review(fake: FakeGitHub, call: Call) -> Reply:
    repo = _repo(fake, call)
    pull = _pull(repo, call.args[2])
    data = call.json if isinstance(call.json, dict) else {}
    commit_id = data.get("commit_id", pull.head_sha)
    event = data.get("event")
    comments = data.get("comments") or []
    try:
        if commit_id != pull.head_sha:
            raise Unprocessable(
                ["commit_id is not the head of the pull request"],
                f"commit_id {commit_id} != head {pull.head_sha}",
            )
        if event not in (None, "COMMENT", "APPROVE", "REQUEST_CHANGES"):
            raise Unprocessable([f"Unknown event {event!r}"], "bad event")
        if event in ("COMMENT", "REQUEST_CHANGES") and not data.get("body") and not comments:
            raise Unprocessable(["Review body is required"], "empty review")
        if not isinstance(comments, list):
            raise Unprocessable(["comments must be a list"], "bad comments")
        for comment in comments:
            check_review_comment(pull, comment)
    except Unprocessable as exc:
        raise HttpError(
            422, "Unprocessable Entity", errors=exc.errors, fake_detail=exc.detail
        ) from None
    review = fake._new_review(repo, pull, data, comments, fake.actor(call)[0])
    return Reply(200, review)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record without the fake's private ``_`` keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


Handler = Callable[["FakeGitHub", Call], Reply]
_SEG = r"([^/]+)"
_REPO = rf"/repos/{_SEG}/{_SEG}"

# (method, path regex, auth: "app" | "installation" | "public" (checks its own), handler)
ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = [
    (m, re.compile(f"^{p}$"), a, h)
    for m, p, a, h in [
        ("GET", "/app", "app", get_app),
        ("GET", "/app/installations", "app", list_installations),
        ("POST", r"/app/installations/(\d+)/access_tokens", "app", create_token),
        ("GET", f"{_REPO}/installation", "app", repo_installation),
        ("GET", "/app/hook/deliveries", "app", list_deliveries),
        ("POST", r"/app/hook/deliveries/(\d+)/attempts", "app", redeliver),
        ("GET", _REPO, "installation", get_repo),
        ("GET", rf"{_REPO}/contents/(.+)", "installation", get_contents),
        ("GET", rf"{_REPO}/pulls/(\d+)", "installation", get_pull),
        ("GET", rf"{_REPO}/pulls/(\d+)/files", "installation", list_pull_files),
        ("GET", rf"{_REPO}/compare/(.+)", "installation", compare),
        ("GET", rf"{_REPO}/issues/(\d+)/comments", "installation", list_issue_comments),
        ("POST", rf"{_REPO}/issues/(\d+)/comments", "installation", create_issue_comment),
        ("PATCH", rf"{_REPO}/issues/comments/(\d+)", "installation", update_issue_comment),
        ("GET", rf"{_REPO}/pulls/(\d+)/comments", "installation", list_review_comments),
        ("GET", rf"{_REPO}/pulls/(\d+)/reviews", "installation", list_reviews),
        ("POST", rf"{_REPO}/pulls/(\d+)/reviews", "installation", create_review),
        *scout_routes(),
        *issue_routes(),
        *git_routes(),
        *actions_routes(),
        *conversation_routes(),
        *oauth_routes(),
        *manifest_routes(),
        *workflow_routes(),
    ]
]


# ---- dispatch -------------------------------------------------------------------------

_BAD_JWT = "A JSON web token could not be decoded"


def _check_jwt(fake: FakeGitHub, headers: dict[str, str]) -> None:
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential:
        raise HttpError(401, _BAD_JWT)
    try:
        claims = jwt.decode(
            credential,
            fake.public_key_pem,
            algorithms=["RS256"],
            leeway=30,
            options={"require": ["exp", "iat", "iss"], "verify_iss": False},
        )
    except jwt.PyJWTError:
        raise HttpError(401, _BAD_JWT) from None
    if str(claims["iss"]) != str(fake.app_id):
        raise HttpError(401, "Integration not found")
    if float(claims["exp"]) - float(claims["iat"]) > 660:
        raise HttpError(401, "'Expiration time' claim ('exp') is too far in the future")


def _check_token(fake: FakeGitHub, headers: dict[str, str]) -> int:
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    installation_id = None
    if scheme.lower() in ("token", "bearer") and credential:
        installation_id = fake._installation_for_token(credential.strip())
    if installation_id is None:
        raise HttpError(401, "Bad credentials")
    return installation_id


def _answer(fake: FakeGitHub, call: Call) -> Reply:
    fault = fake._take_fault(call.method, call.path)
    if fault is not None:
        if fault.delay:
            time.sleep(fault.delay)
        return Reply(fault.status, fault.body, dict(fault.headers))
    version = call.headers.get("x-github-api-version")
    if version is not None and version not in fake.supported_api_versions:
        raise HttpError(400, f"API version {version} is not supported.")
    with fake.lock:  # renamed repositories: 301 from the old name, /repositories/{id} served
        moved = moved_or_by_id(fake, call)
    if moved is not None:
        return moved
    matched = [(r, a, h) for m, r, a, h in ROUTES if m == call.method and r.match(call.path)]
    if not matched:
        raise not_found()
    regex, auth, handler = matched[0]
    match = regex.match(call.path)
    assert match is not None
    call.args = match.groups()
    if auth == "app":
        _check_jwt(fake, call.headers)
    elif auth == "public":
        pass  # the OAuth flow and user-token endpoints (fake_github_oauth)
    elif auth == "site":  # pages of the site: outside the API prefix when there is one
        if fake.prefix and not call.site:
            raise not_found()
    else:
        call.installation_id = _check_token(fake, call.headers)
    fake._count_route(getattr(handler, "__name__", "?"))
    with fake.lock:
        return handler(fake, call)


def _rate_headers(fake: FakeGitHub) -> dict[str, str]:
    return {
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": str(fake.rate_limit_remaining),
        "x-ratelimit-used": str(5000 - fake.rate_limit_remaining),
        "x-ratelimit-reset": str(int(time.time()) + 3600),
        "x-ratelimit-resource": "core",
    }


def dispatch(
    fake: FakeGitHub, method: str, raw_path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    """Serve one HTTP request: prefix, faults, API version, auth, route; log it."""
    split = urlsplit(raw_path)
    path = split.path
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    payload: Any = None
    site = False
    try:
        if fake.prefix:
            if path == fake.prefix or path.startswith(fake.prefix + "/"):
                path = path[len(fake.prefix) :] or "/"
            elif site_page(path):  # GitHub Enterprise: /settings/… beside /api/v3/…
                site = True
            else:
                raise not_found()
        if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            payload = dict(parse_qsl(body.decode(), keep_blank_values=True))
        elif body:
            try:
                payload = json.loads(body)
            except ValueError:
                raise HttpError(400, "Problems parsing JSON") from None
        reply = _answer(fake, Call(method, path, query, headers, payload, site=site))
    except HttpError as exc:
        reply = Reply(exc.status, exc.body)
    fake._record(RecordedRequest(method, path, query, headers, payload, reply.status))
    out = {**_rate_headers(fake), **reply.headers}
    if isinstance(reply.body, bytes):
        return conditional(fake, method, headers, reply.status, out, reply.body)
    out.setdefault("Content-Type", "application/json; charset=utf-8")
    data = b"" if reply.body is None else json.dumps(reply.body).encode()
    return conditional(fake, method, headers, reply.status, out, data)
