"""The GitHub App's OAuth web flow and what a signed-in user may see (user-to-server token).

Sign-in (GitHub's "web application flow"): the browser is sent to
``{web}/login/oauth/authorize`` with the App's client id and a ``state``; GitHub sends it
back with a ``code``, exchanged here for a user-to-server token at
``{web}/login/oauth/access_token``. With that token GitHub lists exactly the App's
installations and repositories the user can reach (``GET /user/installations``,
``GET /user/installations/{id}/repositories``): the dashboard shows nothing else.

Plain httpx: three endpoints do not need githubkit's App machinery, and the token
exchange is on the web host (github.com), not the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import structlog

from argusai.errors import GitHubError, GitHubTransientError

log = structlog.get_logger(__name__)

USER_AGENT = "ArgusAI-dashboard"
PER_PAGE = 100
#: pages read per list (100 per page): a user in more is cut, and the log says so
MAX_PAGES = 20
TIMEOUT = 15.0


def authorize_url(web_url: str, client_id: str, state: str, redirect_uri: str) -> str:
    """Where to send the browser to sign in (GitHub asks the user, then redirects back)."""
    query = urlencode({"client_id": client_id, "state": state, "redirect_uri": redirect_uri})
    return f"{web_url.rstrip('/')}/login/oauth/authorize?{query}"


@dataclass(frozen=True)
class UserAccess:
    """Who signed in and what of this App they can reach on GitHub."""

    login: str
    installations: frozenset[int]
    #: ``owner/name`` in lower case
    repositories: frozenset[str]
    #: installation id → account login, for display
    accounts: tuple[tuple[int, str], ...] = ()
    truncated: bool = False


class GitHubOAuth:
    """The token exchange and the user's view of the App, over one HTTP client."""

    def __init__(
        self,
        *,
        web_url: str,
        api_url: str,
        client_id: str,
        client_secret: str,
        api_version: str = "2022-11-28",
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.web_url = web_url.rstrip("/")
        self.api_url = api_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._api_version = api_version
        self._http = httpx.Client(
            timeout=TIMEOUT,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"GitHubOAuth(web_url={self.web_url!r}, client_id={self.client_id!r})"

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def authorize_url(self, state: str, redirect_uri: str) -> str:
        """The sign-in URL for this App with ``state``."""
        return authorize_url(self.web_url, self.client_id, state, redirect_uri)

    def exchange(self, code: str, redirect_uri: str) -> str:
        """The user-to-server token for the ``code`` GitHub sent back; GitHubError if refused."""
        data = self._send(
            "POST",
            f"{self.web_url}/login/oauth/access_token",
            what="POST /login/oauth/access_token",
            data={
                "client_id": self.client_id,
                "client_secret": self._secret,
                "code": code,
                "redirect_uri": redirect_uri,
            },
            headers={"Accept": "application/json"},
        )
        # GitHub answers 200 with {"error": "bad_verification_code", ...} for a bad code
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            error = data.get("error") if isinstance(data, dict) else None
            raise GitHubError(
                f"GitHub refused the sign-in code ({error or 'no token'})", status=401
            )
        return token

    def access(self, token: str) -> UserAccess:
        """The user, and the App's installations and repositories they can reach."""
        user = self._api(token, "/user")
        login = user.get("login") if isinstance(user, dict) else None
        if not isinstance(login, str) or not login:
            raise GitHubError("GET /user: no login in the answer")
        installations: set[int] = set()
        accounts: list[tuple[int, str]] = []
        repositories: set[str] = set()
        truncated = False
        found, cut = self._pages(token, "/user/installations", "installations")
        truncated |= cut
        for inst in found:
            inst_id = inst.get("id")
            if not isinstance(inst_id, int):
                continue
            installations.add(inst_id)
            account = inst.get("account")
            name = account.get("login") if isinstance(account, dict) else None
            accounts.append((inst_id, str(name or inst_id)))
            repos, cut = self._pages(
                token, f"/user/installations/{inst_id}/repositories", "repositories"
            )
            truncated |= cut
            for repo in repos:
                full_name = repo.get("full_name")
                if isinstance(full_name, str) and "/" in full_name:
                    repositories.add(full_name.lower())
        if truncated:
            log.warning("dashboard.access_truncated", login=login, pages=MAX_PAGES)
        return UserAccess(
            login=login,
            installations=frozenset(installations),
            repositories=frozenset(repositories),
            accounts=tuple(sorted(accounts)),
            truncated=truncated,
        )

    # ---- HTTP --------------------------------------------------------------------------

    def _api(self, token: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._send(
            "GET",
            f"{self.api_url}{path}",
            what=f"GET {path}",
            params=params,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": self._api_version,
            },
        )

    def _pages(self, token: str, path: str, key: str) -> tuple[list[dict[str, Any]], bool]:
        """Every item of ``key`` in a ``{total_count, key: [...]}`` list; True when cut."""
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._api(token, path, {"per_page": PER_PAGE, "page": page})
            chunk = data.get(key) if isinstance(data, dict) else None
            if not isinstance(chunk, list):
                raise GitHubError(f"GET {path}: no {key!r} list in the answer")
            items.extend(i for i in chunk if isinstance(i, dict))
            total = data.get("total_count")
            if len(chunk) < PER_PAGE or (isinstance(total, int) and len(items) >= total):
                return items, False
        return items, True

    def _send(self, method: str, url: str, *, what: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise GitHubTransientError(f"{what}: {type(exc).__name__}") from None
        status = response.status_code
        if status >= 500 or status == 429:
            raise GitHubTransientError(f"{what}: GitHub answered {status}")
        if status >= 400:
            raise GitHubError(f"{what}: GitHub answered {status}", status=status)
        try:
            return response.json()
        except ValueError:
            raise GitHubError(f"{what}: the answer is not JSON", status=status) from None
