"""Scout tables: sources, repositories, issues, crawl runs (seed 004's repos/issues + runs),
and repositories GitHub answered 404/410/451 (gone) or 301 (moved) for."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, utcnow


class ProcessingStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # archived repository: kept out of the catalogue, never summarised


class ProcessingColumns:
    """The work-item columns a repository and an issue share (argusai.workq leases them)."""

    priority: Mapped[int] = mapped_column(Integer, default=0)
    processing_status: Mapped[str] = mapped_column(
        String(16), default=ProcessingStatus.PENDING.value
    )
    processing_attempts: Mapped[int] = mapped_column(Integer, default=0)
    processing_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column()
    # the work-item lease of processing (argusai.workq)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column()


class ScoutSource(Base):
    """A configured source: an adapter kind plus its options (list location, label)."""

    __tablename__ = "scout_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    # awesome-for-beginners | markdown-list | installed
    kind: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoutRepository(ProcessingColumns, Base):
    __tablename__ = "scout_repositories"
    __table_args__ = (
        Index("scout_repos_processing_status_idx", "processing_status"),
        Index("scout_repos_updated_at_idx", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(128))
    label: Mapped[str | None] = mapped_column(String(255))  # the label the source follows
    description: Mapped[str | None] = mapped_column(Text)
    html_url: Mapped[str | None] = mapped_column(String(512))
    language: Mapped[str | None] = mapped_column(String(64))
    languages: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stars: Mapped[int] = mapped_column(Integer, default=0)
    topics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    metadata_hash: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(255))
    issues_etag: Mapped[str | None] = mapped_column(String(255))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pushed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScoutIssue(ProcessingColumns, Base):
    __tablename__ = "scout_issues"
    __table_args__ = (
        UniqueConstraint("repository_id", "number", name="uq_scout_issue"),
        Index("scout_issues_processing_status_idx", "processing_status"),
        Index("scout_issues_updated_at_idx", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository_id: Mapped[int] = mapped_column(
        ForeignKey("scout_repositories.id", ondelete="CASCADE")
    )
    github_id: Mapped[int | None] = mapped_column(BigInteger)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    html_url: Mapped[str | None] = mapped_column(String(512))
    state: Mapped[str] = mapped_column(String(16), default="open")
    labels: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"names": [...]}
    comments: Mapped[int] = mapped_column(Integer, default=0)
    assignees: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"logins": [...]}
    github_updated_at: Mapped[datetime | None] = mapped_column()
    metadata_hash: Mapped[str | None] = mapped_column(String(64))
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # summary, difficulty, ...
    difficulty: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScoutRun(Base):
    """One crawl run (or continuation): counts, cursor, outcome."""

    __tablename__ = "scout_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_run_id: Mapped[int | None] = mapped_column(Integer)  # the run this one continues
    source: Mapped[str | None] = mapped_column(String(128))  # None = all sources
    budget: Mapped[int] = mapped_column(Integer)
    requests_used: Mapped[int] = mapped_column(Integer, default=0)
    not_modified: Mapped[int] = mapped_column(Integer, default=0)  # 304 answers
    items_queued: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {source, position, page}
    # running | done | partial (some repositories skipped, see ``skipped``)
    # | budget (spent; continuation queued) | failed
    outcome: Mapped[str] = mapped_column(String(32), default="running")
    error: Mapped[str | None] = mapped_column(Text)
    # [{source, repo (None: the source's list), error}]: not read in this chain of runs
    skipped: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    log_path: Mapped[str | None] = mapped_column(String(1024))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class ScoutGone(Base):
    """A listed repository GitHub answered 404/410/451 (gone) or 301 (moved) for.

    A gone one is not asked for again before a week has passed; a moved one is crawled
    under ``moved_to`` from then on. ``full_name`` is the name the source lists, lower case.
    """

    __tablename__ = "scout_gone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(255), unique=True)
    status: Mapped[int] = mapped_column(Integer)  # 301, 404, 410 or 451
    moved_to: Mapped[str | None] = mapped_column(String(255))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
