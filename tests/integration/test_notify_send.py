"""Sending to each channel for real, over loopback: apprise's Slack, Discord and email
plugins against local fakes, the JSON webhook signed like the callbacks; refusals, failures
and what the logs may not show."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from structlog.testing import capture_logs

from argusai.ciapi.callbacks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from argusai.notify.channels import parse_channel
from argusai.notify.events import Event
from argusai.notify.render import Message, StoredEvent, render
from argusai.notify.send import ChannelFailed, ChannelRefused, deliver
from argusai.store.models import utcnow
from tests.fakes.fake_notify import (
    DISCORD_PATH,
    SLACK_PATH,
    Receiver,
    point_apprise_at,
    receiver,
    smtp_server,
)

SLACK_TOKEN = "TIiajkdnlazkcOXrIdevi7"
SLACK = f"slack://T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}"
DISCORD_TOKEN = "JHMHI8qBe7bk2ZwO5U711o3dV_js"
DISCORD = f"discord://4174216298/{DISCORD_TOKEN}"
SECRET = "whsec-notify-test-0123456789"
LOOPBACK = ("127.0.0.1",)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with receiver() as got:
        point_apprise_at(monkeypatch, got.base_url)
        yield got


def message(title: str = "Dead letter: review acme/app#1 @ abc", count: int = 1) -> Message:
    event = StoredEvent(
        kind="dead_letter",
        key="dead_letter:1",
        title=title,
        text="review #1 gave up after 3 attempt(s): GitHub answered 502",
        link="https://github.com/acme/app/pull/1",
        installation_id=1,
        repo="acme/app",
        tenant_id=None,
        data={"work_kind": "review"},
        at=utcnow(),
    )
    return render("dead_letter", [event] * count, notification_id=5)


def test_slack_gets_apprises_payload(fake: Receiver) -> None:
    deliver(parse_channel(SLACK), message(), allowlist=LOOPBACK)
    (got,) = fake.on(SLACK_PATH)
    assert got.path == f"{SLACK_PATH}/T1JJ3T3L2/A1BRTD4JD/{SLACK_TOKEN}"
    (attachment,) = got.json["attachments"]
    assert attachment["title"] == "Dead letter: review acme/app#1 @ abc"
    assert "GitHub answered 502" in attachment["text"]
    assert "https://github.com/acme/app/pull/1" in attachment["text"]


def test_discord_gets_apprises_payload(fake: Receiver) -> None:
    deliver(parse_channel(DISCORD), message(), allowlist=LOOPBACK)
    (got,) = fake.on(DISCORD_PATH)
    assert got.path == f"{DISCORD_PATH}/4174216298/{DISCORD_TOKEN}"
    assert got.json["content"].startswith("Dead letter: review acme/app#1")
    assert "GitHub answered 502" in got.json["content"]


def test_email_goes_through_smtp() -> None:
    with smtp_server() as box:
        url = (
            f"mailto://127.0.0.1:{box.port}?to=ops@example.com&from=argus@example.com&mode=insecure"
        )
        deliver(parse_channel(url), message(count=3), allowlist=LOOPBACK)
    ((sender, rcpts),) = box.envelopes
    assert (sender, rcpts) == ("argus@example.com", ["ops@example.com"])
    (mail,) = box.messages
    assert mail["Subject"] == "ArgusAI: 3 dead letters"
    assert "- Dead letter: review acme/app#1" in mail.get_content()


def test_the_webhook_is_signed_like_the_callbacks(fake: Receiver) -> None:
    channel = parse_channel(f"{fake.base_url}/hooks/argus", SECRET)
    deliver(channel, message(), allowlist=LOOPBACK)
    (got,) = fake.on("/hooks/argus")
    assert verify(SECRET, got.body, got.headers[SIGNATURE_HEADER.lower()])
    assert not verify("another-secret-value", got.body, got.headers[SIGNATURE_HEADER.lower()])
    body = got.json
    assert got.headers[TIMESTAMP_HEADER.lower()] == str(body["sent_at"])
    assert got.headers["user-agent"] == "ArgusAI-Notify/1"
    assert (body["event"], body["kind"], body["count"]) == ("notification", "dead_letter", 1)
    assert body["events"][0]["repo"] == "acme/app"


@pytest.mark.parametrize("url", [SLACK, DISCORD, "{base}/hooks/argus"])
def test_loopback_is_refused_without_the_allowlist(fake: Receiver, url: str) -> None:
    channel = parse_channel(url.format(base=fake.base_url), SECRET)
    with pytest.raises(ChannelRefused, match=r"non-public address.*ARGUS_NOTIFY_ALLOWLIST"):
        deliver(channel, message(), allowlist=())
    assert fake.got == []


def test_a_refusing_webhook_is_not_retried_a_failing_one_is(fake: Receiver) -> None:
    channel = parse_channel(f"{fake.base_url}/hooks/argus", SECRET)
    fake.statuses.extend([404, 500, 429])
    with pytest.raises(ChannelRefused, match="answered 404"):
        deliver(channel, message(), allowlist=LOOPBACK)
    for status in (500, 429):
        with pytest.raises(ChannelFailed, match=f"answered {status}"):
            deliver(channel, message(), allowlist=LOOPBACK)


def test_a_failing_slack_is_worth_a_retry_and_its_token_is_never_logged(
    fake: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    fake.always = 500
    caplog.set_level(logging.DEBUG)  # apprise logs the URL it posts to at DEBUG
    with capture_logs() as logs, pytest.raises(ChannelFailed) as caught:
        deliver(parse_channel(SLACK), message(), allowlist=LOOPBACK)
    assert "Failed to send to Slack" in str(caught.value)
    assert "slack://T...2/A...D/T...7" in str(caught.value)
    assert fake.on(SLACK_PATH)  # it did try
    said = caplog.text + repr(logs) + str(caught.value)
    assert "Slack POST URL" in caplog.text  # the line that would have held the token
    for secret in (SLACK_TOKEN, "A1BRTD4JD", "T1JJ3T3L2"):
        assert secret not in said


def test_event_text_reaches_the_channel_without_mentions(fake: Receiver) -> None:
    from argusai.notify import events

    event: Event = events.review_failed(
        web_url="https://github.com",
        repo="acme/app",
        pr=3,
        sha="a" * 40,
        review_id=1,
        reason="<!channel> @everyone the LLM said so",
        installation_id=1,
    )
    stored = StoredEvent(
        event.kind,
        event.key,
        event.title,
        event.text,
        event.link,
        1,
        "acme/app",
        None,
        {},
        utcnow(),
    )
    deliver(
        parse_channel(DISCORD), render(event.kind, [stored], notification_id=1), allowlist=LOOPBACK
    )
    content = fake.on(DISCORD_PATH)[0].json["content"]
    assert "@everyone" not in content and "<!channel>" not in content
