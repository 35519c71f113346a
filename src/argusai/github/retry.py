"""githubkit's retry decision, capped: short inline waits only, never an hour's sleep.

githubkit's default ``auto_retry`` sleeps in the calling thread until a rate limit
resets. Here a rate limit is waited out inline only when GitHub asks for at most
``max_inline_wait`` seconds; otherwise the error surfaces and the job is rescheduled.
Server errors and broken connections are retried a few times, and only for
idempotent methods: a POST that failed with 502 may still have been applied.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from githubkit.exception import (
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)
from githubkit.typing import RetryOption

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRIED_STATUSES = frozenset({500, 502, 503, 504})
# githubkit sleeps 60 s when the wait is a falsy timedelta(0): never hand it zero.
_MIN_WAIT = 0.01


def _method_of(exc: GitHubException) -> str | None:
    if isinstance(exc, RequestFailed | RequestTimeout):
        return exc.request.method
    if isinstance(exc, RequestError) and isinstance(exc.exc, httpx.RequestError):
        try:
            return exc.exc.request.method
        except RuntimeError:  # httpx raises when the request was never attached
            return None
    return None


class InlineRetry:
    """A githubkit ``RetryDecisionFunc`` that never waits longer than ``max_inline_wait``."""

    __slots__ = ("max_inline_wait", "server_retries")

    def __init__(self, *, max_inline_wait: float, server_retries: int = 2) -> None:
        self.max_inline_wait = max(0.0, max_inline_wait)
        self.server_retries = max(0, server_retries)

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        """Decide whether githubkit retries ``exc`` now, and after how long."""
        if isinstance(exc, RateLimitExceeded):
            wait = exc.retry_after.total_seconds()
            if retry_count < 1 and wait <= self.max_inline_wait:
                return RetryOption(True, timedelta(seconds=max(wait, _MIN_WAIT)))
            return RetryOption(False)
        if retry_count >= self.server_retries or _method_of(exc) not in _IDEMPOTENT:
            return RetryOption(False)
        retriable = (
            (isinstance(exc, RequestFailed) and exc.response.status_code in _RETRIED_STATUSES)
            or isinstance(exc, RequestTimeout)
            or (type(exc) is RequestError and isinstance(exc.exc, httpx.TransportError))
        )
        if not retriable:
            return RetryOption(False)
        wait = min(0.25 * 2**retry_count, self.max_inline_wait)
        return RetryOption(True, timedelta(seconds=max(wait, _MIN_WAIT)))
