"""The analysis API's tables: tenants, API keys, callbacks, uploaded logs, usage, audit.

Secrets are never stored in clear: API keys as SHA-256 hashes (shown once at creation),
tenant callback secrets encrypted with the server's key (they must be usable to sign).
"""

from __future__ import annotations

from datetime import datetime
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from argusai.cilog.models import new_id
from argusai.store.models import Base, utcnow


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
    permissions: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"scopes": [...]}
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
    #: the events called back (``["analysis.failed"]``); NULL: every event
    events: Mapped[list[str] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    last_called_at: Mapped[datetime | None] = mapped_column()
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
