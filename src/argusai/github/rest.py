"""Raw REST calls through githubkit: API version header, error mapping, pagination, logs.

Raw calls (``github.request``) rather than githubkit's typed methods: the typed
response models are strict and can reject real responses (older GitHub Enterprise
servers, new fields), and the typed namespace pins its own API version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from githubkit import GitHub
from githubkit.exception import GitHubException

from argusai.errors import GitHubError
from argusai.github.failures import describe, from_githubkit

log = structlog.get_logger(__name__)

JSON_ACCEPT = "application/vnd.github+json"
MAX_PAGES = 100


def segment(value: str) -> str:
    """One URL path segment (owner, repository name), escaped."""
    return quote(value, safe="")


def log_response(response: httpx.Response) -> None:
    """httpx response hook: one line per attempt, without headers that carry secrets."""
    request = response.request
    started = request.extensions.get("argus_started")
    elapsed_ms = round((time.monotonic() - started) * 1000, 1) if started else None
    fields: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path,
        "status": response.status_code,
        "rate_limit_remaining": response.headers.get("x-ratelimit-remaining"),
        "rate_limit_reset": response.headers.get("x-ratelimit-reset"),
        "elapsed_ms": elapsed_ms,
    }
    if response.status_code >= 400 and response.status_code != 404:
        log.warning("github.response", **fields)
    else:
        log.debug("github.response", **fields)


def mark_start(request: httpx.Request) -> None:
    """httpx request hook: note when the request left, for the response log line."""
    request.extensions["argus_started"] = time.monotonic()


EVENT_HOOKS: Mapping[str, list[Any]] = {"request": [mark_start], "response": [log_response]}


class GitHubRest:
    """One githubkit client plus the conventions every ArgusAI call follows."""

    def __init__(
        self,
        github: GitHub[Any],
        *,
        api_version: str,
        before_request: Callable[[str, str], None] | None = None,
    ) -> None:
        self._github = github
        self._api_version = api_version
        self._base = str(github.config.base_url)
        # e.g. write pacing: may raise GitHubRateLimited before anything is sent
        self._before_request = before_request

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        accept: str = JSON_ACCEPT,
    ) -> httpx.Response:
        """Send one request (``path`` relative to the base URL); map errors to ArgusAI's."""
        headers = {"Accept": accept, "X-GitHub-Api-Version": self._api_version}
        # httpx drops a URL's own query when given params={}: pass None (Link URLs).
        query = dict(params) if params else None
        if self._before_request is not None:
            self._before_request(method, path)
        try:
            response = self._github.request(method, path, params=query, json=json, headers=headers)
        except GitHubException as exc:
            raise from_githubkit(exc, what=f"{method} {path.split('?')[0]}") from None
        return response.raw_response

    def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
    ) -> Any:
        """Send one request and return its decoded JSON body."""
        response = self.request(method, path, params=params, json=json)
        try:
            return response.json()
        except ValueError:
            raise GitHubError(
                f"GitHub sent a body that is not JSON for {describe(response.request)}",
                status=response.status_code,
            ) from None

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        limit: int | None = None,
        per_page: int = 100,
    ) -> Iterator[Any]:
        """Yield the items of a list endpoint, following ``Link: rel="next"``."""
        query: dict[str, str | int] = {**(params or {}), "per_page": per_page}
        url = path
        seen = 0
        for _ in range(MAX_PAGES):
            response = self.request("GET", url, params=query)
            try:
                items = response.json()
            except ValueError:
                raise GitHubError(
                    f"GitHub sent a page that is not JSON for {describe(response.request)}",
                    status=response.status_code,
                ) from None
            if not isinstance(items, list):
                raise GitHubError(f"expected a list from {describe(response.request)}")
            for item in items:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            nxt = response.links.get("next", {}).get("url")
            if not nxt or not items or (limit is not None and seen >= limit):
                return
            if not nxt.startswith(self._base):
                # Never send the token to another origin, whatever a header says.
                log.warning("github.pagination_foreign_link", path=path)
                return
            url, query = nxt, {}
