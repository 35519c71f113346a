"""GitHub's OAuth web flow and the user-to-server endpoints, for the fake GitHub.

* ``GET /login/oauth/authorize`` (the browser): checks the client id and the redirect
  URI, then sends the browser back with ``code`` and the same ``state`` as the user set
  with :meth:`FakeOAuth.sign_in_as` (GitHub's consent screen is skipped); no one signed
  in: 401.
* ``POST /login/oauth/access_token`` (form or JSON, as GitHub takes both): client id,
  secret and a code used once → ``{"access_token": "ghu_…"}``; otherwise GitHub's 200
  with ``{"error": "bad_verification_code"}``.
* ``GET /user``, ``/user/installations`` and ``/user/installations/{id}/repositories``
  with the user token: only what :meth:`FakeOAuth.add_user` granted (401 for any other
  token, 404 for an installation the user cannot reach).

Usage: ``oauth = fake_oauth(fake); oauth.configure("Iv1.abc", "secret");
oauth.add_user("alice", ["o/r"]); oauth.sign_in_as("alice")``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply


@dataclass
class FakeOAuth:
    """The OAuth side of one fake GitHub: client credentials, users, codes and tokens."""

    fake: FakeGitHub
    client_id: str = "Iv1.fakeclient"
    client_secret: str = "fake-client-secret"
    users: dict[str, set[str]] = field(default_factory=dict)  # login → "owner/name" (lower)
    browser_login: str | None = None
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (login, redirect)
    tokens: dict[str, str] = field(default_factory=dict)  # token → login
    exchanges: int = 0
    #: what GitHub checks redirect_uri against (the App's callback URL); TestClient: testserver
    callback_prefixes: tuple[str, ...] = (
        "http://127.0.0.1:",
        "http://localhost:",
        "http://testserver/",
    )

    def configure(self, client_id: str, client_secret: str) -> None:
        """The App's OAuth client id and secret."""
        with self.fake.lock:
            self.client_id, self.client_secret = client_id, client_secret

    def add_user(self, login: str, repos: Iterable[str] = ()) -> None:
        """A GitHub user who can reach ``repos`` (``owner/name``, added with ``add_repo``)."""
        with self.fake.lock:
            self.users.setdefault(login, set()).update(r.lower() for r in repos)

    def sign_in_as(self, login: str | None) -> None:
        """Who the browser is signed in to GitHub as (authorize answers for them)."""
        with self.fake.lock:
            self.browser_login = login

    def revoke_all(self) -> None:
        """Every user token stops working (as when a user revokes the App)."""
        with self.fake.lock:
            self.tokens.clear()

    # ---- what a user reaches ----------------------------------------------------------

    def _user(self, call: Call) -> str:
        from tests.fakes.fake_github_routes import HttpError

        scheme, _, credential = call.headers.get("authorization", "").partition(" ")
        bearer = scheme.lower() in ("token", "bearer")
        login = self.tokens.get(credential.strip()) if bearer else None
        if login is None:
            raise HttpError(401, "Bad credentials")
        return login

    def _repos(self, login: str) -> list[Any]:
        granted = self.users.get(login, set())
        return [repo for key, repo in sorted(self.fake._repos.items()) if "/".join(key) in granted]


def fake_oauth(fake: FakeGitHub) -> FakeOAuth:
    """The OAuth state of ``fake`` (made on first use)."""
    with fake.lock:
        state: FakeOAuth | None = getattr(fake, "_oauth", None)
        if state is None:
            state = FakeOAuth(fake)
            fake._oauth = state  # type: ignore[attr-defined]
        return state


def _paged(call: Call, key: str, items: list[Any]) -> Reply:
    from tests.fakes.fake_github_routes import Reply

    per_page = max(1, min(100, int(call.query.get("per_page", "30"))))
    page = max(1, int(call.query.get("page", "1")))
    chunk = items[(page - 1) * per_page : page * per_page]
    return Reply(200, {"total_count": len(items), key: chunk})


def authorize(fake: FakeGitHub, call: Call) -> Reply:
    """Skip the consent screen: back to ``redirect_uri`` with a code and the state."""
    from tests.fakes.fake_github_routes import Reply

    oauth = fake_oauth(fake)
    if call.query.get("client_id") != oauth.client_id:
        return Reply(404, b"unknown client_id", {"Content-Type": "text/plain"})
    redirect = call.query.get("redirect_uri", "")
    if not redirect.startswith(oauth.callback_prefixes):
        return Reply(400, b"redirect_uri is not the App's callback", {"Content-Type": "text/plain"})
    if oauth.browser_login is None:
        return Reply(401, b"not signed in to GitHub", {"Content-Type": "text/plain"})
    code = secrets.token_hex(10)
    oauth.codes[code] = (oauth.browser_login, redirect)
    query = {"code": code}
    if "state" in call.query:
        query["state"] = call.query["state"]
    sep = "&" if "?" in redirect else "?"
    return Reply(302, b"", {"Location": f"{redirect}{sep}{urlencode(query)}"})


def access_token(fake: FakeGitHub, call: Call) -> Reply:
    """Exchange a code (once) for a ``ghu_`` user token."""
    from tests.fakes.fake_github_routes import Reply

    oauth = fake_oauth(fake)
    oauth.exchanges += 1
    form = call.json if isinstance(call.json, dict) else {}
    form = {**call.query, **form}
    if form.get("client_id") != oauth.client_id or form.get("client_secret") != oauth.client_secret:
        return Reply(200, {"error": "incorrect_client_credentials"})
    entry = oauth.codes.pop(str(form.get("code", "")), None)
    if entry is None or (form.get("redirect_uri") and form["redirect_uri"] != entry[1]):
        return Reply(200, {"error": "bad_verification_code"})
    token = "ghu_" + secrets.token_hex(18)
    oauth.tokens[token] = entry[0]
    return Reply(200, {"access_token": token, "token_type": "bearer", "scope": ""})


def get_user(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import Reply

    login = fake_oauth(fake)._user(call)
    return Reply(200, {"login": login, "id": abs(hash(login)) % 10**8, "type": "User"})


def user_installations(fake: FakeGitHub, call: Call) -> Reply:
    oauth = fake_oauth(fake)
    login = oauth._user(call)
    ids = sorted({repo.installation_id for repo in oauth._repos(login)})
    items = [{"id": i, "account": {"login": fake._installations.get(i, "?")}} for i in ids]
    return _paged(call, "installations", items)


def user_installation_repos(fake: FakeGitHub, call: Call) -> Reply:
    from tests.fakes.fake_github_routes import not_found

    oauth = fake_oauth(fake)
    login = oauth._user(call)
    installation_id = int(call.args[0])
    repos = [r for r in oauth._repos(login) if r.installation_id == installation_id]
    if not repos:
        raise not_found()
    items = [{"id": r.id, "full_name": f"{r.owner}/{r.name}", "private": r.private} for r in repos]
    return _paged(call, "repositories", items)


def oauth_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler): the flow is public, the user calls check tokens."""
    return [
        ("GET", "/login/oauth/authorize", "public", authorize),
        ("POST", "/login/oauth/access_token", "public", access_token),
        ("GET", "/user", "public", get_user),
        ("GET", "/user/installations", "public", user_installations),
        ("GET", r"/user/installations/(\d+)/repositories", "public", user_installation_repos),
    ]
