"""ARGUS_NOTIFY_URLS and ARGUS_NOTIFY_WEBHOOK_SECRET are secrets: never in a log line,
a settings repr or a posted comment."""

from __future__ import annotations

from pathlib import Path

from argusai.core.secrets import Redactor
from argusai.logs import SecretScrubber, settings_secrets
from tests.conftest import make_settings

TOKEN = "TIiajkdnlazkcOXrIdevi7"
PASSWORD = "pw-secret-9876"
SIGNING = "whsec-global-0123456789"


def test_channel_urls_and_the_signing_secret_are_scrubbed(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        notify_urls=f"slack://T1JJ3T3L2/A1BRTD4JD/{TOKEN}, "
        f"mailtos://ops:{PASSWORD}@smtp.example.com?to=ops@example.com",
        notify_webhook_secret=SIGNING,
    )
    assert settings.notify_url_list()[1].startswith("mailtos://")
    for hidden in (TOKEN, PASSWORD, SIGNING):
        assert hidden not in repr(settings)
    scrub = SecretScrubber(settings_secrets(settings))
    line = f"POST /services/T1JJ3T3L2/A1BRTD4JD/{TOKEN} login ops:{PASSWORD} key {SIGNING}"
    scrubbed = scrub(None, "info", {"event": line})["event"]
    for hidden in (TOKEN, PASSWORD, SIGNING):
        assert hidden not in scrubbed
    posted = Redactor.of(settings_secrets(settings)).redact(f"the LLM repeated {TOKEN}")
    assert TOKEN not in posted
