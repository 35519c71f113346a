"""The GitHub CI explainer's tables: a workflow run attempt being explained, and the history
of what failed (tests, or steps when no test was named), with what passed on re-run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
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
        Index("idx_ci_runs_commit", "repo_name", "head_sha"),
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


class CIFailure(Base):
    """A test (or a step, when the log named no test) that failed in a job of a run attempt.

    ``passed_on_rerun_at`` is set when the same job passed later on the same commit (a
    re-run, or another run of that commit): the failure was flaky. Rows go with their run.
    """

    __tablename__ = "ci_failures"
    __table_args__ = (
        UniqueConstraint("ci_run_id", "job_name", "kind", "name", name="uq_ci_failure"),
        Index("idx_ci_failures_name", "repo_name", "name", "failed_at"),
        Index("idx_ci_failures_commit", "repo_name", "head_sha"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ci_run_id: Mapped[int] = mapped_column(ForeignKey("ci_runs.id", ondelete="CASCADE"))
    repo_name: Mapped[str] = mapped_column(String(255))
    #: the branch the run is judged against: its pull request's base, else where it ran
    branch: Mapped[str | None] = mapped_column(String(255))
    workflow_name: Mapped[str | None] = mapped_column(String(255))
    job_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(8))  # test | step
    runner: Mapped[str | None] = mapped_column(String(16))  # pytest, jest, go, …
    name: Mapped[str] = mapped_column(String(500))
    head_sha: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int] = mapped_column(BigInteger)
    run_attempt: Mapped[int] = mapped_column(Integer)
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    passed_on_rerun_at: Mapped[datetime | None] = mapped_column()
    passed_run_id: Mapped[int | None] = mapped_column(BigInteger)
    passed_run_attempt: Mapped[int | None] = mapped_column(Integer)
