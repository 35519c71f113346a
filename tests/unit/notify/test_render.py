"""Rendering: one event as itself, a burst as one digest that names every event."""

from __future__ import annotations

from datetime import UTC, datetime

from argusai.notify.render import DIGEST_LINES, StoredEvent, render


def stored(n: int, kind: str = "dead_letter") -> StoredEvent:
    return StoredEvent(
        kind=kind,
        key=f"dead_letter:{n}",
        title=f"Dead letter: review #{n}",
        text=f"review #{n} gave up",
        link=f"https://github.com/acme/app/pull/{n}",
        installation_id=1,
        repo="acme/app",
        tenant_id=None,
        data={"item_id": str(n)},
        at=datetime(2026, 12, 7, tzinfo=UTC),
    )


def test_one_event_is_sent_as_itself() -> None:
    message = render("dead_letter", [stored(1)], notification_id=9)
    assert message.title == "Dead letter: review #1"
    assert message.body == "review #1 gave up\nhttps://github.com/acme/app/pull/1"
    assert message.level == "failure" and message.count == 1
    assert message.payload["digest"] is False
    assert message.payload["events"][0]["key"] == "dead_letter:1"


def test_a_burst_is_one_digest_listing_them() -> None:
    burst = [stored(n) for n in range(1, DIGEST_LINES + 6)]
    message = render("dead_letter", burst, notification_id=9)
    assert message.title == f"ArgusAI: {len(burst)} dead letters"
    lines = message.body.splitlines()
    assert len(lines) == DIGEST_LINES + 1 and lines[-1] == "- … and 5 more"
    assert message.payload["digest"] is True and message.payload["count"] == len(burst)
    assert len(message.payload["events"]) == len(burst)  # the JSON has every one
