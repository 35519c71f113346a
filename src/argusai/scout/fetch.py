"""Conditional GitHub GETs over httpx: ETags, rate-limit headers, a bound on requests in flight.

Redirects (a renamed repository's 301) are followed here, on the same host only, each
hop a request of its own on the budget (BudgetSpent when none is left for it). The hop
is sent without ``If-None-Match``: its answer must say the repository's new name.
Answers other than 2xx, 304 and 404/410/451 are errors, never data.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from argusai.errors import GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.scout.budget import Budget, BudgetSpent
from argusai.scout.redirects import MAX_HOPS, is_redirect, same_origin_target, too_many

USER_AGENT = "ArgusAI-scout (httpx)"
#: token for a request: None = the crawl's default identity, else an installation id
TokenFor = Callable[[int | None], str]
RequestLog = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Answer:
    """A GitHub answer: 200 with JSON, 304 (``data`` None), or 404 (``data`` None)."""

    status: int
    data: Any
    etag: str | None
    next_url: str | None
    redirected: bool = False  # reached through a redirect (a renamed repository)

    @property
    def not_modified(self) -> bool:
        """GitHub answered 304: what we have is current."""
        return self.status == 304


class Fetcher:
    """GETs against the GitHub API; every call must hold a reservation on ``budget``."""

    def __init__(
        self,
        base_url: str,
        token_for: TokenFor,
        budget: Budget,
        *,
        max_in_flight: int = 10,
        api_version: str = "2022-11-28",
        on_request: RequestLog | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.budget = budget
        self._token_for = token_for
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._on_request = on_request
        limits = httpx.Limits(
            max_connections=max_in_flight, max_keepalive_connections=max_in_flight
        )
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Accept": "application/vnd.github+json",
                "User-Agent": USER_AGENT,
                "X-GitHub-Api-Version": api_version,
            },
            timeout=timeout,
            limits=limits,
            transport=transport,
            follow_redirects=False,
        )

    def get(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        etag: str | None = None,
        installation_id: int | None = None,
        token: str | None = None,
    ) -> Answer:
        """GET ``url`` (a path or a ``next`` link) with ``If-None-Match: etag`` when given."""
        headers = {"Authorization": f"Bearer {token or self._token_for(installation_id)}"}
        if etag:
            headers["If-None-Match"] = etag
        target: str | httpx.URL = url
        for hop in range(MAX_HOPS + 1):
            if hop and not self.budget.acquire(1):
                raise BudgetSpent(f"GET {url}: no request left to follow its redirect")
            response = self._send(target, params, headers)
            if not is_redirect(response):
                return _answer(url, response, redirected=hop > 0)
            target, params = same_origin_target(response), None
            headers.pop("If-None-Match", None)
        raise too_many(response)

    def _send(
        self, url: str | httpx.URL, params: dict[str, Any] | None, headers: dict[str, str]
    ) -> httpx.Response:
        """One request on a reservation already made; the answer is accounted and logged."""
        started = time.monotonic()
        status = 0
        try:
            with self._slots:
                response = self._client.get(url, params=params, headers=headers)
            status = response.status_code
        except httpx.HTTPError as exc:
            raise GitHubTransientError(f"GET {url}: {type(exc).__name__}") from exc
        finally:
            remaining = _int(response.headers.get("x-ratelimit-remaining")) if status else None
            self.budget.answered(status, remaining)
            if self._on_request is not None:
                self._on_request(
                    {
                        "event": "request",
                        "method": "GET",
                        "url": str(url),
                        "params": params,
                        "status": status,
                        "if_none_match": "If-None-Match" in headers,
                        "rate_remaining": remaining,
                        "ms": round((time.monotonic() - started) * 1000, 1),
                    }
                )
        return response

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def _answer(url: str, response: httpx.Response, *, redirected: bool) -> Answer:
    status = response.status_code
    etag = response.headers.get("etag")
    if status == 304:
        return Answer(304, None, etag, None, redirected)
    if status in (404, 410, 451):
        return Answer(status, None, None, None, redirected)
    if status in (403, 429) and (
        response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers
    ):
        reset = _int(response.headers.get("x-ratelimit-reset"))
        retry = _int(response.headers.get("retry-after"))
        raise GitHubRateLimited(
            f"GET {url}: rate limited", retry_after=retry, reset_at=float(reset) if reset else None
        )
    if status >= 500:
        raise GitHubTransientError(f"GET {url}: {status}")
    if status >= 400 or not 200 <= status < 300:
        raise GitHubError(f"GET {url}: {status}", status=status)
    try:
        data = response.json()
    except ValueError:
        raise GitHubError(f"GET {url}: {status} with a body that is not JSON") from None
    next_link = response.links.get("next", {}).get("url")
    return Answer(status, data, etag, next_link, redirected)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
