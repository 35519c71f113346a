"""Secrets are redacted in every form they travel in: as written, URL-encoded, JSON, base64."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from argusai.core.secrets import all_forms, redact
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
