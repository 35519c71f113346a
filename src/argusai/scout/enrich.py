"""The two GitHub reads of processing: a repository's languages and an issue's full body.

Plain httpx (the installation port has neither call). The token is the scout token
(``ARGUS_SCOUT_GITHUB_TOKEN``), else the App's installation token when the repository
is one of the App's, else none (public data; GitHub allows 60 requests an hour).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import httpx
from sqlalchemy import select

from argusai.errors import GitHubError, GitHubTransientError
from argusai.github.failures import from_response
from argusai.jobs.runtime import Runtime
from argusai.store.models import Repository

USER_AGENT = "ArgusAI-Scout"
TIMEOUT = 30.0


@runtime_checkable
class _InstallationTokens(Protocol):
    def installation_token(self, installation_id: int) -> str: ...


class ScoutGitHub:
    """Reads public repository data for processing; errors map to ArgusAI's tree."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None,
        api_version: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": api_version,
            "User-Agent": USER_AGENT,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=TIMEOUT, transport=transport
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __enter__(self) -> ScoutGitHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str) -> Any:
        try:
            response = self._client.get(path)
        except httpx.TransportError as exc:
            raise GitHubTransientError(
                f"cannot reach GitHub for GET {path}: {type(exc).__name__}"
            ) from None
        if response.status_code >= 400:
            raise from_response(response)
        try:
            return response.json()
        except ValueError:
            raise GitHubError(f"GitHub sent a body that is not JSON for GET {path}") from None

    def languages(self, full_name: str) -> dict[str, int]:
        """``GET /repos/{o}/{r}/languages``: bytes of code per language."""
        data = self._get(f"/repos/{_repo_path(full_name)}/languages")
        if not isinstance(data, dict):
            raise GitHubError(f"unexpected languages answer for {full_name}")
        return {str(k): int(v) for k, v in data.items() if isinstance(v, int | float)}

    def issue(self, full_name: str, number: int) -> dict[str, Any]:
        """``GET /repos/{o}/{r}/issues/{n}``: the issue with its full body."""
        data = self._get(f"/repos/{_repo_path(full_name)}/issues/{int(number)}")
        if not isinstance(data, dict):
            raise GitHubError(f"unexpected issue answer for {full_name}#{number}")
        return data


def _repo_path(full_name: str) -> str:
    owner, _, name = full_name.partition("/")
    if not owner or not name:
        raise GitHubError(f"not an owner/name repository: {full_name!r}")
    return f"{quote(owner, safe='')}/{quote(name, safe='')}"


def token_for(rt: Runtime, full_name: str) -> str | None:
    """The token processing uses for ``full_name`` (see the module docstring)."""
    secret = rt.settings.scout_github_token
    if secret is not None and secret.get_secret_value():
        return secret.get_secret_value()
    if rt.settings.github_app_id is None or rt.settings.private_key_pem() is None:
        return None
    with rt.db.session() as s:
        installation_id = s.scalar(
            select(Repository.installation_id).where(Repository.full_name == full_name)
        )
    if installation_id is None:
        return None
    app = rt.github
    if isinstance(app, _InstallationTokens):
        return app.installation_token(int(installation_id))
    return None


def open_github(rt: Runtime, full_name: str) -> ScoutGitHub:
    """A client for processing ``full_name`` (close it, or use it as a context manager)."""
    return ScoutGitHub(
        rt.settings.github_api_url,
        token=token_for(rt, full_name),
        api_version=rt.settings.github_api_version,
    )
