"""What may reach Sentry: the ``before_send`` scrubbing, tested on events as the SDK builds
them (no DSN, no transport, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from argusai.core.secrets import Redactor
from argusai.telemetry import sentry
from argusai.telemetry.sentry import FILTERED, MAX_TEXT, scrub_event, settings_secret_values
from tests.conftest import make_settings

WEBHOOK_SECRET = "whsec-0123456789abcdef"
LLM_KEY = "sk-live-key-0123456789abcdefghij"
PROMPT = "Review this diff: +password = 'hunter2'"


def _event() -> dict[str, Any]:
    """An event shaped like the SDK's: exception, request, breadcrumbs, extra, logentry."""
    return {
        "level": "error",
        "exception": {
            "values": [
                {
                    "type": "LLMError",
                    "value": f"provider refused key {LLM_KEY}",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "argusai/llm/backend.py",
                                "function": "send",
                                "lineno": 10,
                                "vars": {"request": PROMPT, "api_key": LLM_KEY},
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": f"https://argus.example/webhooks/github?token={LLM_KEY}",
            "method": "POST",
            "headers": {
                "Content-Type": "application/json",
                "X-Hub-Signature-256": "sha256=abcdef",
                "Authorization": f"Bearer {LLM_KEY}",
                "X-API-Key": "ak_live_123",
                "X-GitHub-Event": "pull_request",
            },
            "data": {"pull_request": {"body": "secret plans"}},
            "cookies": {"session": "s"},
            "query_string": f"token={LLM_KEY}",
            "env": {"REMOTE_ADDR": "1.2.3.4"},
        },
        "user": {"ip_address": "1.2.3.4"},
        "breadcrumbs": {
            "values": [
                {"category": "http", "message": "POST /chat", "data": {"payload": PROMPT}},
                {"category": "log", "message": f"signed with {WEBHOOK_SECRET}"},
            ]
        },
        "extra": {
            "prompt": PROMPT,
            "answer": '{"findings": []}',
            "diff": "+x",
            "delivery_id": "d-1",
        },
        "logentry": {"message": "LLM said %s", "params": ["x" * (MAX_TEXT + 500)]},
        "tags": {"repo": "o/r"},
    }


@pytest.fixture
def redactor() -> Redactor:
    return Redactor.of([WEBHOOK_SECRET, LLM_KEY])


def test_no_secret_payload_or_local_variable_survives(redactor: Redactor) -> None:
    scrubbed = scrub_event(_event(), redactor)
    text = json.dumps(scrubbed)
    for leaked in (LLM_KEY, WEBHOOK_SECRET, "hunter2", "secret plans", "sha256=abcdef", "1.2.3.4"):
        assert leaked not in text, leaked
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["vars"] == FILTERED
    assert frame["function"] == "send" and frame["lineno"] == 10  # the stack stays useful
    assert scrubbed["exception"]["values"][0]["value"] == "provider refused key [redacted]"


def test_request_keeps_only_harmless_parts(redactor: Redactor) -> None:
    request = scrub_event(_event(), redactor)["request"]
    assert set(request) == {"url", "method", "headers"}
    assert request["url"] == "https://argus.example/webhooks/github"
    assert request["headers"]["X-GitHub-Event"] == "pull_request"
    assert request["headers"]["Content-Type"] == "application/json"
    for name in ("X-Hub-Signature-256", "Authorization", "X-API-Key"):
        assert request["headers"][name] == FILTERED


def test_payloads_prompts_and_answers_are_filtered_by_key(redactor: Redactor) -> None:
    scrubbed = scrub_event(_event(), redactor)
    assert scrubbed["extra"] == {
        "prompt": FILTERED,
        "answer": FILTERED,
        "diff": FILTERED,
        "delivery_id": "d-1",
    }
    crumbs = scrubbed["breadcrumbs"]["values"]
    assert crumbs[0]["data"] == {"payload": FILTERED}
    assert crumbs[1]["message"] == "signed with [redacted]"
    assert "user" not in scrubbed
    assert scrubbed["tags"] == {"repo": "o/r"}


def test_long_text_is_cut(redactor: Redactor) -> None:
    param = scrub_event(_event(), redactor)["logentry"]["params"][0]
    assert len(param) < MAX_TEXT + 20 and param.endswith("[cut]")


def test_token_shapes_are_redacted_even_when_not_configured() -> None:
    scrubbed = scrub_event({"message": "token ghp_" + "a" * 36}, Redactor.of([]))
    assert "ghp_" not in scrubbed["message"]


def test_every_secret_setting_is_known_to_the_scrubber(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        github_webhook_secret=WEBHOOK_SECRET,
        llm_api_key=LLM_KEY,
        metrics_token="metrics-token-value",
        secret_key="server-secret-key-value",
        sentry_dsn="https://public@sentry.example/1",
    )
    found = settings_secret_values(settings)
    for secret in (WEBHOOK_SECRET, LLM_KEY, "metrics-token-value", "server-secret-key-value"):
        assert secret in found


def test_without_a_dsn_nothing_starts(tmp_path: Path) -> None:
    assert sentry.init_sentry(make_settings(tmp_path), role="web") is False
    sentry.capture(RuntimeError("not sent"))  # a no-op without Sentry


def test_the_seeds_variable_name_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SENTRY_DSN", "https://public@sentry.example/2")
    settings = make_settings(tmp_path)
    assert settings.sentry_dsn is not None
    assert settings.sentry_dsn.get_secret_value() == "https://public@sentry.example/2"
    monkeypatch.setenv("ARGUS_SENTRY_DSN", "https://public@sentry.example/3")
    assert make_settings(tmp_path).sentry_dsn.get_secret_value().endswith("/3")  # type: ignore[union-attr]
