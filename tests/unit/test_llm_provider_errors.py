"""HTTP failures mapped onto the error tree, Retry-After parsing, secret scrubbing."""

from __future__ import annotations

import email.utils

import pytest

from argusai.errors import LLMError, LLMRateLimited, LLMTransientError
from argusai.llm.provider_errors import (
    error_for_status,
    mentions_structured_output,
    parse_retry_after,
    redact,
)

KEY = "sk-live-abcdef0123456789"


def err(status: int, headers: dict[str, str] | None = None, body: object = None) -> Exception:
    return error_for_status(
        status=status,
        headers=headers or {},
        body=body,
        provider="openai",
        model="m",
        secrets=[KEY, None],
    )


def test_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7.0
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    when = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"Retry-After": when}, now=1_000_000) == pytest.approx(30)
    assert parse_retry_after({"Retry-After": when}, now=2_000_000) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({"Retry-After": "-3"}) == 0.0
    assert parse_retry_after({}) is None


@pytest.mark.parametrize("status", [500, 502, 503, 504, 529, 408, 409])
def test_server_errors_are_transient(status: int) -> None:
    exc = err(status, {"Retry-After": "2"})
    assert type(exc) is LLMTransientError
    assert exc.retry_after == 2.0


def test_429_is_rate_limited() -> None:
    exc = err(429, {"retry-after": "12"}, {"error": {"message": "slow down"}})
    assert isinstance(exc, LLMRateLimited)
    assert exc.retry_after == 12.0
    assert "slow down" in str(exc)


@pytest.mark.parametrize(
    ("status", "hint"), [(401, "ARGUS_LLM_API_KEY"), (404, "model"), (400, "")]
)
def test_client_errors_are_permanent_and_scrubbed(status: int, hint: str) -> None:
    exc = err(status, body={"error": {"message": f"bad key {KEY}\nsecond line"}})
    assert isinstance(exc, LLMError)
    assert f"HTTP {status}" in str(exc) and hint in str(exc)
    assert KEY not in str(exc) and "***" in str(exc)
    assert "\n" not in str(exc)


def test_long_details_are_truncated() -> None:
    assert len(str(err(400, body={"error": {"message": "x" * 5000}}))) < 400


def test_redact_ignores_short_and_missing_secrets() -> None:
    assert redact("key abc in text", ["abc", None, ""]) == "key abc in text"
    assert redact(f"a {KEY} b {KEY}", [KEY]) == "a *** b ***"


def test_structured_output_rejection_is_recognised() -> None:
    assert mentions_structured_output(400, {"error": {"message": "Invalid response_format"}})
    assert mentions_structured_output(422, "json_schema not supported")
    assert not mentions_structured_output(400, {"error": {"message": "context too long"}})
    assert not mentions_structured_output(500, {"error": {"message": "response_format"}})


def test_redact_catches_encoded_forms_of_the_key() -> None:
    import base64
    from urllib.parse import quote

    key = "sk-live/abc+def=ghi&jkl"
    text = (
        f"url=https://x/?k={quote(key, safe='')} auth={base64.b64encode(key.encode()).decode()}"
        f" json={key!r}"
    )
    cleaned = redact(text, [key])
    assert "abc" not in cleaned and "YWJj" not in cleaned.replace("***", "")
    assert cleaned.count("***") == 3
