"""The two GitHub reads of processing: a repository's languages and an issue's full body.

Plain httpx (the installation port has neither call), with the crawl's credentials
(:class:`~argusai.scout.auth.CrawlIdentity`): the App's installation token when the
repository is one of the App's, else ``ARGUS_SCOUT_GITHUB_TOKEN``, else a token of the
App's first installation. With none of them the requests go out anonymously (60 an hour
on GitHub) — the worker says so once at start (see ``process``).

A redirect (a renamed repository) is followed on the same host only; any other answer
outside 2xx is an error, never data (see ``redirects``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import select

from argusai.errors import ConfigError, GitHubError, GitHubTransientError
from argusai.github.failures import describe, from_response
from argusai.runtime import Runtime
from argusai.scout.auth import CrawlIdentity, crawl_identity
from argusai.scout.redirects import MAX_HOPS, is_redirect, same_origin_target, too_many
from argusai.store.models import Repository

USER_AGENT = "ArgusAI-Scout"
TIMEOUT = 30.0


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
        url: str | httpx.URL = path
        for _hop in range(MAX_HOPS + 1):
            try:
                response = self._client.get(url)
            except httpx.TransportError as exc:
                raise GitHubTransientError(
                    f"cannot reach GitHub for GET {path}: {type(exc).__name__}"
                ) from None
            if not is_redirect(response):
                return _data(response)
            url = same_origin_target(response)  # the client sends its token there too
        raise too_many(response)

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


def _data(response: httpx.Response) -> Any:
    status = response.status_code
    if status >= 400:
        raise from_response(response)
    if not 200 <= status < 300:
        raise GitHubError(
            f"GitHub answered {status} on {describe(response.request)}, not data", status=status
        )
    try:
        return response.json()
    except ValueError:
        raise GitHubError(
            f"GitHub sent a body that is not JSON for {describe(response.request)}"
        ) from None


def token_for(rt: Runtime, full_name: str, identity: CrawlIdentity | None = None) -> str | None:
    """The token processing uses for ``full_name``; None: no credentials at all."""
    with rt.db.session() as s:
        installation_id = s.scalar(
            select(Repository.installation_id).where(Repository.full_name == full_name)
        )
    who = identity or crawl_identity(rt)
    try:
        return who.token_for(int(installation_id) if installation_id is not None else None)
    except ConfigError:
        return None  # neither token nor App: anonymous, as the worker warned at start


def open_github(rt: Runtime, full_name: str, identity: CrawlIdentity | None = None) -> ScoutGitHub:
    """A client for processing ``full_name`` (close it, or use it as a context manager)."""
    return ScoutGitHub(
        rt.settings.github_api_url,
        token=token_for(rt, full_name, identity),
        api_version=rt.settings.github_api_version,
    )
