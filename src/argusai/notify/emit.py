"""Emit an event: for each channel routed to it, once, as a message or into a digest.

Per channel and event kind, the first event goes out at once; while a message of that
kind is queued (waiting for its window, retrying, or held by the rate limit), later
events join it; a new message is not due before the window after the previous one.
So a burst of 50 dead letters is two messages (the first, then a digest of 49), and
the same dead letter emitted twice (two processes, a rescan) is sent once: the
``(channel, event key)`` pair is unique.

:func:`emit` never raises: a notification must not fail the review, CI run, crawl or API
request that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from argusai.core.secrets import Redactor
from argusai.notify.events import Event
from argusai.notify.models import Notification, NotifyEvent
from argusai.notify.routes import Route, routes_for
from argusai.runtime import Runtime
from argusai.store.db import Database
from argusai.store.models import ReviewStatus, utcnow

log = structlog.get_logger(__name__)

NOTIFICATION = "notification"
QUEUED = ReviewStatus.QUEUED.value


@dataclass(frozen=True)
class Placed:
    """Where an event went: a new notification (to dispatch after ``delay``) or a queued one."""

    notification_id: int
    new: bool
    delay: float


def emit(rt: Runtime, event: Event) -> int:
    """Queue ``event`` for every channel routed to it; how many took it (0 on any failure)."""
    try:
        return _emit(rt, event)
    except Exception as exc:  # noqa: BLE001 - the work that emits must not fail for this
        log.warning(
            "notification not queued",
            event_kind=event.kind,
            event_key=event.key,
            error=type(exc).__name__,
            detail=rt.redactor.redact(str(exc))[:300],
        )
        return 0


def _emit(rt: Runtime, event: Event) -> int:
    routes = routes_for(rt.db, rt.settings, event)
    if not routes:
        return 0
    event = _redacted(event, rt.redactor)
    taken = 0
    for route in routes:
        placed = place(rt.db, route, event, window=rt.settings.notify_digest_seconds)
        if placed is None:
            log.debug("notification already sent", event_key=event.key, channel=route.display)
            continue
        taken += 1
        if placed.new:
            rt.queue.dispatch(NOTIFICATION, placed.notification_id, delay=placed.delay)
    if taken:
        log.info("notification queued", event_kind=event.kind, event_key=event.key, channels=taken)
    return taken


def _redacted(event: Event, redactor: Redactor) -> Event:
    """The event with every known secret out of its words (error texts quote anything)."""
    return replace(event, title=redactor.redact(event.title), text=redactor.redact(event.text))


def place(db: Database, route: Route, event: Event, *, window: int) -> Placed | None:
    """Add ``event`` to the channel's queued message of its kind, or to a new message;
    None when the channel had this event already."""
    try:
        with db.session() as s:
            if _seen(s, route.channel_key, event.key):
                return None
            joined = _join_queued(s, route, event)
            if joined is not None:
                return Placed(joined, new=False, delay=0.0)
            now = utcnow()
            due = now
            if window > 0:
                last_due = s.scalar(
                    select(func.max(Notification.next_attempt_at)).where(
                        Notification.channel_key == route.channel_key,
                        Notification.event_kind == event.kind,
                        Notification.next_attempt_at >= now - timedelta(seconds=window),
                    )
                )
                if last_due is not None:
                    due = max(now, last_due + timedelta(seconds=window))
            row = Notification(
                channel_key=route.channel_key,
                channel_display=route.display[:512],
                event_kind=event.kind,
                events_count=1,
                next_attempt_at=due,
                created_at=now,
            )
            s.add(row)
            s.flush()
            s.add(_event_row(row.id, route.channel_key, event))
            s.flush()
            return Placed(row.id, new=True, delay=max(0.0, (due - now).total_seconds()))
    except IntegrityError:  # another process placed the same event first
        return None


def _seen(s: Session, channel_key: str, event_key: str) -> bool:
    found = s.scalar(
        select(NotifyEvent.id).where(
            NotifyEvent.channel_key == channel_key, NotifyEvent.event_key == event_key
        )
    )
    return found is not None


def _join_queued(s: Session, route: Route, event: Event) -> int | None:
    """The id of the channel's queued message of this kind, now holding ``event`` too."""
    queued = s.scalar(
        select(Notification.id)
        .where(
            Notification.channel_key == route.channel_key,
            Notification.event_kind == event.kind,
            Notification.status == QUEUED,
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )
    if queued is None:
        return None
    # still queued at this instant: a sender that claims it later reads this event with it
    result = s.execute(
        update(Notification)
        .where(Notification.id == queued, Notification.status == QUEUED)
        .values(events_count=Notification.events_count + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    s.add(_event_row(queued, route.channel_key, event))
    s.flush()
    return int(queued)


def _event_row(notification_id: int, channel_key: str, event: Event) -> NotifyEvent:
    return NotifyEvent(
        notification_id=notification_id,
        channel_key=channel_key,
        event_key=event.key[:255],
        kind=event.kind,
        title=event.title,
        text=event.text,
        link=event.link[:1024] if event.link else None,
        installation_id=event.installation_id,
        repo_name=event.repo,
        tenant_id=event.tenant_id,
        data=dict(event.data),
    )
