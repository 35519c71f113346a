"""Notifications as a kind of work: one message to one channel, with the queue's retries.

A channel that failed is retried with backoff (``ARGUS_JOB_MAX_RETRIES``), then the message
becomes a dead letter like any other work (``argus jobs dead`` / ``retry``) — but the dead
letters of *this* kind are never notified, or a dead channel would notify about itself
forever. A channel over ``ARGUS_NOTIFY_MAX_PER_HOUR`` waits (the retry budget untouched)
and gathers what arrives meanwhile into its digest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from argusai.errors import Superseded
from argusai.notify.emit import NOTIFICATION
from argusai.notify.models import Notification, NotifyEvent
from argusai.notify.render import StoredEvent, render
from argusai.notify.routes import channel_for
from argusai.notify.send import deliver
from argusai.runtime import Runtime
from argusai.store.models import ReviewStatus, utcnow
from argusai.workq.kinds import Claimed, Wait, WorkKind
from argusai.workq.table import WorkTable

NOTIFICATIONS = WorkTable(Notification)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class RateLimited:
    """The channel sent its hourly allowance: wait until the oldest of those is an hour old."""

    delay: float
    reason: str


def notification_kind(get_runtime: Callable[[], Runtime]) -> WorkKind:
    """The ``notification`` kind."""

    def handle(item: Claimed) -> None:
        send_notification(get_runtime(), item.row)

    def admit(row: Notification) -> Wait | None:
        return rate_limit(get_runtime(), row.channel_key)

    return WorkKind(
        name=NOTIFICATION,
        table=NOTIFICATIONS,
        handle=handle,
        describe=_describe,
        context=_context,
        admit=admit,
    )


def send_notification(rt: Runtime, row: Notification) -> None:
    """Render the notification's events and send them (raises the queue's errors)."""
    channel = channel_for(rt.db, rt.settings, row.channel_key)
    if channel is None:
        raise Superseded("no route names this channel any more")
    message = render(row.event_kind, stored_events(rt, row.id), notification_id=row.id)
    deliver(channel, message, allowlist=rt.settings.notify_allowlist)


def stored_events(rt: Runtime, notification_id: int) -> list[StoredEvent]:
    """The events a notification holds, oldest first."""
    with rt.db.session() as s:
        rows = s.scalars(
            select(NotifyEvent)
            .where(NotifyEvent.notification_id == notification_id)
            .order_by(NotifyEvent.id)
        ).all()
        return [
            StoredEvent(
                kind=r.kind,
                key=r.event_key,
                title=r.title,
                text=r.text,
                link=r.link,
                installation_id=r.installation_id,
                repo=r.repo_name,
                tenant_id=r.tenant_id,
                data=r.data or {},
                at=r.created_at,
            )
            for r in rows
        ]


def rate_limit(rt: Runtime, channel_key: str) -> RateLimited | None:
    """A wait when the channel already got ``ARGUS_NOTIFY_MAX_PER_HOUR`` messages this hour."""
    limit = rt.settings.notify_max_per_hour
    now = utcnow()
    with rt.db.session() as s:
        sent = s.scalars(
            select(Notification.completed_at)
            .where(
                Notification.channel_key == channel_key,
                Notification.status == ReviewStatus.DONE.value,
                Notification.completed_at >= now - HOUR,
            )
            .order_by(Notification.completed_at.desc())
            .limit(limit)
        ).all()
    if len(sent) < limit:
        return None
    oldest = sent[-1]
    assert oldest is not None
    delay = max(1.0, (oldest + HOUR - now).total_seconds())
    return RateLimited(delay, f"{limit} notifications this hour to this channel")


def _describe(row: Notification) -> str:
    return f"{row.event_kind} ×{row.events_count} → {row.channel_display}"


def _context(row: Notification) -> dict[str, Any]:
    return {"notification_id": row.id, "event_kind": row.event_kind}
