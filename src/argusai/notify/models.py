"""The notifications' tables: routes, messages (work items), the events in them, marks.

A *channel* is one destination URL; ``channel_key`` (a hash of the URL) names it, so two
routes to the same Slack webhook share dedup, digests and the rate limit. A *notification*
is one message to one channel, a work item of the ``notification`` kind: it holds one event,
or the events of one kind that arrived while it waited (a digest). ``notify_events`` keeps
each event once per channel: its unique key is the "never twice" memory.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, ReviewStatus, utcnow


class NotifyRoute(Base):
    """An operator's route: events of a scope (global, an installation, a repository or a
    tenant) to one channel. The URL and the webhook signing secret are stored encrypted."""

    __tablename__ = "notify_routes"
    __table_args__ = (
        UniqueConstraint("scope", "scope_key", "channel_key", name="uq_notify_routes_channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # global | installation | repository | tenant
    scope_key: Mapped[str] = mapped_column(String(255), default="")
    channel: Mapped[str] = mapped_column(String(16))  # slack | discord | email | webhook
    channel_key: Mapped[str] = mapped_column(String(32), index=True)
    url_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    url_display: Mapped[str] = mapped_column(String(512))  # tokens masked
    secret_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    events: Mapped[str] = mapped_column(String(512), default="*")  # comma-separated, * = all
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Notification(Base):
    """One message to one channel: a work item (retries, dead letters) of one event kind."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("idx_notifications_status", "status", "next_attempt_at"),
        Index("idx_notifications_channel", "channel_key", "event_kind", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_key: Mapped[str] = mapped_column(String(32))
    channel_display: Mapped[str] = mapped_column(String(512))
    event_kind: Mapped[str] = mapped_column(String(32))
    events_count: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class NotifyEvent(Base):
    """One event in one notification; ``(channel_key, event_key)`` is sent at most once."""

    __tablename__ = "notify_events"
    __table_args__ = (
        UniqueConstraint("channel_key", "event_key", name="uq_notify_events_key"),
        Index("idx_notify_events_notification", "notification_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel_key: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(1024))
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    repo_name: Mapped[str | None] = mapped_column(String(255))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotifyMark(Base):
    """How far a scan got (the last dead letter looked at)."""

    __tablename__ = "notify_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
