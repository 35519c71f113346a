"""Mapping GitHub error responses to ArgusAI errors, and redaction of secrets."""

from __future__ import annotations

import time

import httpx

from argusai.errors import GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.github.failures import from_response, redact


def reply(
    status: int, headers: dict[str, str] | None = None, json: object = None, method: str = "GET"
) -> httpx.Response:
    request = httpx.Request(method, "https://ghe.example.com/api/v3/repos/o/r/pulls/1?x=1")
    return httpx.Response(status, headers=headers, json=json, request=request)


def test_5xx_is_transient() -> None:
    error = from_response(reply(503, json={"message": "Service Unavailable"}))
    assert type(error) is GitHubTransientError
    assert str(error) == "GitHub 503 on GET /api/v3/repos/o/r/pulls/1: Service Unavailable"


def test_4xx_keeps_status_and_githubs_explanation() -> None:
    body = {"message": "Unprocessable Entity", "errors": ["Line could not be resolved"]}
    error = from_response(reply(422, json=body, method="POST"))
    assert isinstance(error, GitHubError)
    assert error.status == 422
    assert "Line could not be resolved" in str(error)


def test_primary_rate_limit() -> None:
    reset = int(time.time()) + 120
    error = from_response(
        reply(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    )
    assert isinstance(error, GitHubRateLimited)
    assert error.reset_at == reset
    assert error.retry_after is not None and 100 < error.retry_after <= 120


def test_secondary_rate_limit() -> None:
    error = from_response(reply(429, {"retry-after": "30"}))
    assert isinstance(error, GitHubRateLimited)
    assert (error.retry_after, error.reset_at) == (30, None)


def test_429_without_hints_still_rate_limited() -> None:
    error = from_response(reply(429))
    assert isinstance(error, GitHubRateLimited)
    assert error.retry_after == 60


def test_403_mentioning_secondary_limit_without_headers() -> None:
    message = "You have exceeded a secondary rate limit"
    assert isinstance(from_response(reply(403, json={"message": message})), GitHubRateLimited)


def test_plain_403_is_permanent() -> None:
    error = from_response(reply(403, json={"message": "Resource not accessible"}))
    assert isinstance(error, GitHubError) and error.status == 403


def test_non_json_error_body() -> None:
    request = httpx.Request("GET", "https://api.github.com/x")
    error = from_response(httpx.Response(502, text="<html>bad gateway</html>", request=request))
    assert str(error) == "GitHub 502 on GET /x"


def test_redact() -> None:
    text = (
        "token ghs_16C7e42F292c6912E7710c838347Ae178B4a and github_pat_11ABCDEFG0123456789 "
        "and eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl "
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY----- end"
    )
    cleaned = redact(text)
    for secret in ("ghs_16C7", "github_pat_", "eyJhbGci", "MIIEow", "BEGIN RSA"):
        assert secret not in cleaned
    assert cleaned.endswith(" end")


def test_error_messages_redact_echoed_secrets() -> None:
    error = from_response(reply(401, json={"message": "Bad token ghs_abcdefghijklmnop1234"}))
    assert "ghs_abcdefghijklmnop1234" not in str(error)
