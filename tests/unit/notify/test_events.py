"""Events: keys that make "once per channel" mean once per dead letter / PR head / month,
and text from outside that cannot ping a whole channel."""

from __future__ import annotations

import pytest

from argusai.notify import events
from argusai.notify.events import ZWSP, plain


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("fix it @everyone now", "@everyone"),
        ("ping @here", "@here"),
        ("<!channel> look", "<!channel>"),
        ("hey <@U024BE7LH>", "<@U024BE7LH>"),
        ("role <@&123456>", "@&"),
        ("full-width ＠everyone", "＠everyone"),
    ],
)
def test_plain_text_mentions_nobody(raw: str, forbidden: str) -> None:
    cleaned = plain(raw)
    assert forbidden not in cleaned
    assert cleaned.replace(ZWSP, "") == " ".join(raw.split())  # nothing else changed


def test_plain_is_one_bounded_line_without_control_characters() -> None:
    assert plain("a\nb\x07c\u202e", 300) == "a bc"
    assert len(plain("x" * 1000, 50)) == 50


def test_keys_name_what_must_be_sent_once() -> None:
    letter = events.dead_letter(
        letter_id=7,
        work_kind="review",
        item_id="3",
        what="acme/app#1 @ abc",
        reason="GitHub answered 502",
        attempts=3,
        scope={"repo": "acme/app", "installation_id": 11},
    )
    assert letter.key == "dead_letter:7"
    assert (letter.repo, letter.installation_id) == ("acme/app", 11)
    assert "argus jobs retry 3 --kind review" in letter.text
    critical = events.critical_findings(
        web_url="https://github.com",
        repo="acme/app",
        pr=4,
        sha="f" * 40,
        findings=[("app.py", 3, "SQL injection @everyone")],
        installation_id=11,
    )
    assert critical.key == f"critical_findings:acme/app#4@{'f' * 40}"
    assert critical.link == "https://github.com/acme/app/pull/4"
    assert "@everyone" not in critical.text and "app.py:3" in critical.text
    quota = events.quota(
        tenant_id="t1", tenant_name="Acme", period="2026-12", used=80, limit=100, percent=80
    )
    assert quota.key == "quota:t1:2026-12:80" and quota.tenant_id == "t1"


def test_enterprise_links_point_at_the_server() -> None:
    assert events.github_web_url("https://api.github.com") == "https://github.com"
    assert events.github_web_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com"


def test_unknown_kinds_are_a_bug() -> None:
    with pytest.raises(ValueError, match="unknown event kind"):
        events.Event(kind="nope", key="k", title="t")
