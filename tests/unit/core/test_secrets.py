"""Secrets are redacted in every form they travel in: as written, URL-encoded, JSON, base64."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from argusai.core.secrets import EMPTY_REDACTOR, Redactor, all_forms, redact
from argusai.core.secrets import REDACTED as POSTED_REDACTED
from argusai.logs import REDACTED, SecretScrubber

KEY = "gh-s3cr3t/with+odd chars=&"


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        quote(KEY, safe=""),
        quote_plus(KEY),
        json.dumps(KEY)[1:-1],
        base64.b64encode(KEY.encode()).decode(),
        base64.urlsafe_b64encode(KEY.encode()).decode().rstrip("="),
    ],
)
def test_every_form_is_redacted_in_log_lines(form: str) -> None:
    scrub = SecretScrubber([KEY])
    event = scrub(None, "info", {"event": "llm failed", "detail": f"GET /x?token={form} 401"})
    assert form not in json.dumps(event)
    assert REDACTED in event["detail"]


def test_short_values_are_not_secrets_and_text_is_otherwise_kept() -> None:
    assert all_forms(["abc", None, ""]) == []
    assert redact("nothing to hide here", all_forms([KEY])) == "nothing to hide here"


@pytest.mark.parametrize(
    "form", [KEY, quote(KEY, safe=""), base64.b64encode(KEY.encode()).decode().rstrip("=")]
)
def test_the_redactor_redacts_every_form_of_its_secrets(form: str) -> None:
    out = Redactor.of([KEY]).redact(f"posted: {form} (end)")
    assert out == f"posted: {POSTED_REDACTED} (end)"
    assert EMPTY_REDACTOR.redact(f"posted: {form}") == f"posted: {form}"


def test_the_redactor_reads_the_environment_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "late secret value"
    assert EMPTY_REDACTOR.redact(secret) == secret
    monkeypatch.setenv("ARGUS_SOME_TOKEN", secret)
    assert EMPTY_REDACTOR.redact(secret) == POSTED_REDACTED
    assert EMPTY_REDACTOR.redact(quote_plus(secret)) == POSTED_REDACTED


def test_the_redactor_keeps_short_values_and_shows_no_secret_in_its_repr() -> None:
    redactor = Redactor.of(["seven77", KEY])
    assert redactor.redact("seven77") == "seven77"  # under 8 characters: ordinary words
    assert KEY not in repr(redactor)


def test_a_snapshot_redacts_the_same_as_the_live_redactor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "s3cr3t-value-abcdefgh-123456")
    live = Redactor.of(["configured-secret-9876543210"])
    frozen = live.snapshot()
    text = "a s3cr3t-value-abcdefgh-123456 b configured-secret-9876543210 c"
    assert frozen.redact(text) == live.redact(text) == "a [redacted] b [redacted] c"
    assert frozen.snapshot() is frozen
