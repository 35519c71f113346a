"""The capped retry decision handed to githubkit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from githubkit import Response
from githubkit.exception import (
    PrimaryRateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
    SecondaryRateLimitExceeded,
)

from argusai.errors import GitHubError
from argusai.github.retry import InlineRetry

RETRY = InlineRetry(max_inline_wait=5.0, server_retries=2)


def response(status: int, method: str = "GET") -> Response[Any]:
    request = httpx.Request(method, "https://api.github.com/repos/o/r")
    return Response(httpx.Response(status, request=request), Any)


def test_long_rate_limit_is_not_waited_out() -> None:
    exc = PrimaryRateLimitExceeded(response(403), timedelta(minutes=50))
    assert RETRY(exc, 0).do_retry is False


@pytest.mark.parametrize("seconds", [0, 3, 5])
def test_short_rate_limit_is_waited_once(seconds: int) -> None:
    exc = SecondaryRateLimitExceeded(response(429), timedelta(seconds=seconds))
    option = RETRY(exc, 0)
    assert option.do_retry is True
    assert option.retry_after is not None
    # never a zero timedelta: githubkit would read it as "no hint" and sleep 60 s
    assert 0 < option.retry_after.total_seconds() <= 5
    assert RETRY(exc, 1).do_retry is False


def test_server_errors_on_get_are_retried_with_backoff() -> None:
    exc = RequestFailed(response(502))
    waits = [RETRY(exc, n) for n in range(3)]
    assert [w.do_retry for w in waits] == [True, True, False]
    assert waits[0].retry_after is not None and waits[1].retry_after is not None
    assert waits[0].retry_after < waits[1].retry_after


def test_server_errors_on_post_are_not_retried() -> None:
    assert RETRY(RequestFailed(response(502, "POST")), 0).do_retry is False


def test_client_errors_are_not_retried() -> None:
    assert RETRY(RequestFailed(response(404)), 0).do_retry is False
    assert RETRY(RequestFailed(response(422)), 0).do_retry is False


def test_timeouts_and_connection_errors_on_get_are_retried() -> None:
    request = httpx.Request("GET", "https://api.github.com/x")
    assert RETRY(RequestTimeout(httpx.ReadTimeout("slow", request=request)), 0).do_retry
    assert RETRY(RequestError(httpx.ConnectError("refused", request=request)), 0).do_retry


def test_errors_from_token_minting_are_not_retried() -> None:
    assert RETRY(RequestError(GitHubError("no", status=401)), 0).do_retry is False


def test_zero_retries_and_zero_wait() -> None:
    strict = InlineRetry(max_inline_wait=0, server_retries=0)
    assert strict(RequestFailed(response(500)), 0).do_retry is False
    assert (
        strict(SecondaryRateLimitExceeded(response(429), timedelta(seconds=1)), 0).do_retry is False
    )
