"""The analyses table: one analysis of a CI log, asked for by an API tenant or a GitHub job.

Shared by the GitHub CI explainer (``ci``) and the analysis API (``ciapi``); the foreign
keys name their tables (``organizations``, ``ci_runs``) by string, so no feature is imported.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, utcnow


def new_id() -> str:
    """A random UUID as text (portable between SQLite and PostgreSQL)."""
    return str(uuid.uuid4())


class AnalysisStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


class Analysis(Base):
    """One log analysis: from the API (tenant) or from a GitHub job (ci_run)."""

    __tablename__ = "analyses"
    __table_args__ = (
        Index("idx_analyses_tenant_created", "tenant_id", "created_at"),
        Index("idx_analyses_status", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    api_key_id: Mapped[str | None] = mapped_column(String(36))
    ci_run_id: Mapped[int | None] = mapped_column(ForeignKey("ci_runs.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(BigInteger)  # GitHub Actions job
    job_name: Mapped[str | None] = mapped_column(String(255))
    workflow_name: Mapped[str | None] = mapped_column(String(255))
    request_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    logs_size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(50), default=AnalysisStatus.PENDING.value)
    mode: Mapped[str] = mapped_column(String(8), default="async")  # sync | async
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    callback_url: Mapped[str | None] = mapped_column(String(2048))
    callback_status: Mapped[str | None] = mapped_column(String(16))  # pending|sent|failed
    callback_attempts: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    api_cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    reduction_ms: Mapped[int | None] = mapped_column(Integer)
    processing_duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
