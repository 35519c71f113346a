"""SQLAlchemy 2 models: installations, deliveries, reviews (work items), findings, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the store uses."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back aware datetimes (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, datetime: UTCDateTime()}


class ReviewStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SUPERSEDED = "superseded"


ACTIVE_STATUSES = (ReviewStatus.QUEUED.value, ReviewStatus.RUNNING.value)


class DeliveryStatus(StrEnum):
    ACCEPTED = "accepted"  # recorded and work item created
    IGNORED = "ignored"  # event or action not enabled, or nothing to do


class Installation(Base):
    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_login: Mapped[str | None] = mapped_column(String(255))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Repository(Base):
    __tablename__ = "repositories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(255), unique=True)
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    repo_name: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Review(Base):
    """One review of one PR head: the work item and its outcome (seed 002 ``reviews``)."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("idx_reviews_repo_pr", "repo_name", "pr_number"),
        Index("idx_reviews_status", "status", "next_attempt_at"),
        Index("idx_reviews_cache", "cache_key"),
        Index("idx_reviews_completed", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str | None] = mapped_column(String(64))
    installation_id: Mapped[int] = mapped_column(BigInteger)
    repo_name: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(Integer)
    sha: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    base_sha: Mapped[str | None] = mapped_column(String(64))  # incremental: reviewed from
    incremental: Mapped[bool] = mapped_column(Boolean, default=False)
    cache_key: Mapped[str | None] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128))
    prompt_version: Mapped[str | None] = mapped_column(String(32))
    comments_count: Mapped[int] = mapped_column(Integer, default=0)
    severity_critical: Mapped[int] = mapped_column(Integer, default=0)
    severity_high: Mapped[int] = mapped_column(Integer, default=0)
    severity_medium: Mapped[int] = mapped_column(Integer, default=0)
    severity_low: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    github_review_id: Mapped[int | None] = mapped_column(BigInteger)
    summary_comment_id: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    error_message: Mapped[str | None] = mapped_column(Text)
    # History (issue 12): what the review covered, what it cost in time, where findings went.
    # ``trigger`` above says why it ran (``stats.triggers.trigger_kind``: push, command, rerun).
    experiment_arm: Mapped[str | None] = mapped_column(String(64))
    files_reviewed: Mapped[int] = mapped_column(Integer, default=0)
    files_skipped: Mapped[int] = mapped_column(Integer, default=0)
    lines_reviewed: Mapped[int] = mapped_column(Integer, default=0)  # added lines sent
    lines_skipped: Mapped[int] = mapped_column(Integer, default=0)  # added lines of skipped files
    context_tokens: Mapped[int] = mapped_column(Integer, default=0)  # code context in prompts
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    findings_llm: Mapped[int] = mapped_column(Integer, default=0)
    findings_check: Mapped[int] = mapped_column(Integer, default=0)  # deterministic checks
    summarised_count: Mapped[int] = mapped_column(Integer, default=0)  # in the summary only
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)  # not confirmed: not posted
    llm_ms: Mapped[int | None] = mapped_column(Integer)  # waiting for LLM answers
    queue_wait_ms: Mapped[int | None] = mapped_column(Integer)  # created → last claimed
    total_ms: Mapped[int | None] = mapped_column(Integer)  # created → posted


class FindingRecord(Base):
    """A finding posted (inline or in the summary) on a PR; the fingerprint dedups it."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("repo_name", "pr_number", "fingerprint", name="uq_findings_fp"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    repo_name: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(1024))
    line: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    inline: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="llm")  # llm | check
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeadLetter(Base):
    """A work item whose retry budget ran out; ``argus jobs retry`` re-queues it."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(64))  # any kind's id, as text
    reason: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retried_at: Mapped[datetime | None] = mapped_column()


class RedeliveryRequest(Base):
    """A failed webhook delivery we asked GitHub to redeliver (asked once each)."""

    __tablename__ = "redelivery_requests"

    delivery_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guid: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
