"""The tables of the PR conversation: commands (work items), paused PRs, notices given,
suppression rules and the outcome of every posted finding."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, utcnow


class PRCommand(Base):
    """One thing said to ArgusAI in a pull request (a command, a question, a resolved
    thread, an outcome collection): a work item of kind ``command``.

    ``dedup_key`` is unique: the same comment is handled once, whatever the deliveries.
    """

    __tablename__ = "pr_commands"
    __table_args__ = (
        UniqueConstraint("dedup_key", name="uq_pr_commands_dedup"),
        Index("idx_pr_commands_status", "status", "next_attempt_at"),
        Index("idx_pr_commands_repo_pr", "repo_name", "pr_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[str | None] = mapped_column(String(64))
    dedup_key: Mapped[str] = mapped_column(String(160))
    installation_id: Mapped[int] = mapped_column(BigInteger)
    repo_name: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(Integer)
    #: issue_comment | review_comment | review_thread | pull_request | review
    source: Mapped[str] = mapped_column(String(32))
    #: the command (``review``, ``ask``, ``thread-resolved``, ``outcomes`` …)
    name: Mapped[str] = mapped_column(String(32))
    #: what follows the command: a question, a glob; empty when nothing
    text: Mapped[str] = mapped_column(Text, default="")
    #: slash | mention:<name> | thread (a reply in a thread, addressed to no one)
    addressed: Mapped[str] = mapped_column(String(64), default="")
    author: Mapped[str] = mapped_column(String(255), default="")
    comment_id: Mapped[int | None] = mapped_column(BigInteger)
    in_reply_to_id: Mapped[int | None] = mapped_column(BigInteger)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column()
    lease_expires_at: Mapped[datetime | None] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    #: what came of it: answered, refused, not addressed to us, …
    result: Mapped[str | None] = mapped_column(String(200))
    reply_id: Mapped[int | None] = mapped_column(BigInteger)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class PRState(Base):
    """A pull request's conversation state: automatic reviews paused (``@argus pause``)."""

    __tablename__ = "pr_states"

    repo_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    pr_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CommandNotice(Base):
    """A notice given to a user on a PR (a refusal, a limit reached): given once."""

    __tablename__ = "command_notices"
    __table_args__ = (
        UniqueConstraint("repo_name", "pr_number", "user", "kind", name="uq_command_notices"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_name: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(Integer)
    user: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # refusal | limit
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suppression(Base):
    """A rule that keeps a finding from being posted: by fingerprint, or by normalised
    title on paths matching a glob; one pull request (``ignore``) or the whole repository
    (``ignore everywhere``: ``pr_number`` is NULL)."""

    __tablename__ = "suppressions"
    __table_args__ = (Index("idx_suppressions_repo", "repo_name", "pr_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_name: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int | None] = mapped_column(Integer)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    title_key: Mapped[str | None] = mapped_column(Text)  # ``suppress.title_key`` of the title
    path_glob: Mapped[str | None] = mapped_column(String(1024))
    title: Mapped[str] = mapped_column(Text, default="")  # as the finding said it (display)
    created_by: Mapped[str] = mapped_column(String(255), default="")
    source_comment_id: Mapped[int | None] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FindingOutcome(Base):
    """What became of one finding posted inline: the signals seen and the outcome they
    add up to (``outcomes.decide``): open, resolved, dismissed or accepted."""

    __tablename__ = "finding_outcomes"
    __table_args__ = (
        UniqueConstraint("repo_name", "pr_number", "fingerprint", name="uq_finding_outcomes"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_name: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    comment_id: Mapped[int | None] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(1024), default="")
    line: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str] = mapped_column(String(200), default="")
    ignored: Mapped[bool] = mapped_column(Boolean, default=False)
    thread_state: Mapped[str | None] = mapped_column(String(16))  # resolved | unresolved
    lines_changed: Mapped[bool | None] = mapped_column(Boolean)
    thumbs_up: Mapped[int] = mapped_column(Integer, default=0)
    thumbs_down: Mapped[int] = mapped_column(Integer, default=0)
    suggestion_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
