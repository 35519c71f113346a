"""The GitHub CI explainer's table: one failed workflow run attempt being explained."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, utcnow


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
