"""One message from the events of a notification: a single event, or a digest (no I/O).

Chat and email get a title and a plain-text body; the JSON webhook gets the same text and
every event as data, so a receiver can act on it without parsing prose.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argusai.notify.events import EVENT_KINDS, LEVELS

#: events listed in a digest's text (all of them are in the webhook's JSON)
DIGEST_LINES = 20


@dataclass(frozen=True)
class StoredEvent:
    """An event as the notification holds it."""

    kind: str
    key: str
    title: str
    text: str
    link: str | None
    installation_id: int | None
    repo: str | None
    tenant_id: str | None
    data: Mapping[str, Any]
    at: datetime


@dataclass(frozen=True)
class Message:
    """What one channel is sent."""

    kind: str
    title: str
    body: str
    level: str  # info | warning | failure
    count: int
    payload: dict[str, Any]  # the JSON webhook's body, less ``sent_at``


def render(kind: str, events: Sequence[StoredEvent], *, notification_id: int) -> Message:
    """The message for ``events`` (one kind, oldest first): the event itself, or a digest."""
    if not events:
        raise ValueError("a notification without events")
    if len(events) == 1:
        event = events[0]
        title = event.title
        body = "\n".join(part for part in (event.text, event.link or "") if part)
    else:
        title = f"ArgusAI: {len(events)} {EVENT_KINDS.get(kind, kind)}"
        lines = [f"- {e.title}" + (f" ({e.link})" if e.link else "") for e in events[:DIGEST_LINES]]
        if len(events) > DIGEST_LINES:
            lines.append(f"- … and {len(events) - DIGEST_LINES} more")
        body = "\n".join(lines)
    payload: dict[str, Any] = {
        "event": "notification",
        "id": notification_id,
        "kind": kind,
        "digest": len(events) > 1,
        "count": len(events),
        "title": title,
        "text": body,
        "events": [_as_json(e) for e in events],
    }
    return Message(kind, title, body, LEVELS.get(kind, "info"), len(events), payload)


def _as_json(event: StoredEvent) -> dict[str, Any]:
    return {
        "kind": event.kind,
        "key": event.key,
        "title": event.title,
        "text": event.text,
        "link": event.link,
        "installation_id": event.installation_id,
        "repo": event.repo,
        "tenant_id": event.tenant_id,
        "data": dict(event.data),
        "at": event.at.isoformat(),
    }
