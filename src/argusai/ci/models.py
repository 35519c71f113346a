"""CI analysis tables (seed 003): tenants, API keys, analyses, usage, audit, callbacks, runs.

Secrets are never stored in clear: API keys as SHA-256 hashes (shown once at creation),
tenant callback secrets encrypted with the server's key (they must be usable to sign).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
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


class Organization(Base):
    """A tenant of the analysis API."""

    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    subscription_tier: Mapped[str] = mapped_column(String(50), default="free")
    api_quota_monthly: Mapped[int | None] = mapped_column(Integer)  # None: the tier's
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255), default="")
    prefix: Mapped[str] = mapped_column(String(32), index=True)  # shown, identifies the key
    key_hash: Mapped[str] = mapped_column(String(128), unique=True)
    permissions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()


class TenantWebhook(Base):
    """Where and how a tenant's async results are called back."""

    __tablename__ = "tenant_webhooks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    tenant_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str | None] = mapped_column(String(2048))  # default URL; per request wins
    events: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    last_called_at: Mapped[datetime | None] = mapped_column()
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CIRun(Base):
    """A failed GitHub workflow run attempt being explained (one comment per run)."""

    __tablename__ = "ci_runs"
    __table_args__ = (
        UniqueConstraint("repo_name", "run_id", "run_attempt", name="uq_ci_run_attempt"),
        Index("idx_ci_runs_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str | None] = mapped_column(String(64))
    installation_id: Mapped[int] = mapped_column(BigInteger)
    repo_name: Mapped[str] = mapped_column(String(255))
    run_id: Mapped[int] = mapped_column(BigInteger)
    run_attempt: Mapped[int] = mapped_column(Integer, default=1)
    workflow_name: Mapped[str | None] = mapped_column(String(255))
    head_sha: Mapped[str | None] = mapped_column(String(64))
    conclusion: Mapped[str | None] = mapped_column(String(32))
    pr_numbers: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"numbers": [...]}
    status: Mapped[str] = mapped_column(String(16), default="queued")  # as reviews
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    check_run_id: Mapped[int | None] = mapped_column(BigInteger)
    comment_ids: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {pr number: id}
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


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


class AnalysisLog(Base):
    """The uploaded log of an async analysis, gzip-compressed, kept until it is processed."""

    __tablename__ = "analysis_logs"

    analysis_id: Mapped[str] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True
    )
    data_gzip: Mapped[bytes] = mapped_column(LargeBinary)


class ApiUsage(Base):
    """Requests and bytes per tenant and calendar month (quotas)."""

    __tablename__ = "api_usage"
    __table_args__ = (UniqueConstraint("tenant_id", "period", name="uq_usage_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    request_count: Mapped[int] = mapped_column(Integer, default=0)
    bytes_processed: Mapped[int] = mapped_column(BigInteger, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (Index("idx_audit_tenant_time", "tenant_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(100))
    resource_type: Mapped[str | None] = mapped_column(String(50))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
