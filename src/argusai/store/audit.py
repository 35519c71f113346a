"""The operator audit log: who changed what on this server, and when.

One row per operator action (a job re-queued, a review setting set or unset, a
suppression rule removed, a tenant or API key changed), whether it came from the CLI or,
later, the dashboard. It sits in the store, below the features, so every feature can
write to it; ``argus stats audit`` reads it.

The analysis API's own trail of tenant requests (``audit_logs``, seed 003) is a
different table: it records what API clients did, with their address; this one records
what operators did, with their name.
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from argusai.store.db import Database
from argusai.store.models import Base, utcnow

MAX_ACTOR = 255
MAX_ACTION = 64
MAX_TARGET = 255


class AuditEntry(Base):
    """One operator action: ``actor`` did ``action`` to ``target`` (``details`` say how)."""

    __tablename__ = "operator_audit"
    __table_args__ = (Index("idx_operator_audit_created", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``cli:<os user>`` from the command line; ``github:<login>`` from the dashboard
    actor: Mapped[str] = mapped_column(String(MAX_ACTOR))
    #: dotted, the command's words: ``jobs.retry``, ``config.set``, ``tenant.create`` …
    action: Mapped[str] = mapped_column(String(MAX_ACTION))
    #: what was acted on: ``review 42``, ``repo:o/r``, a tenant's name …
    target: Mapped[str] = mapped_column(String(MAX_TARGET), default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def cli_actor() -> str:
    """The actor of a command run in this process: ``cli:<login name>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        user = "unknown"
    return f"cli:{user}"[:MAX_ACTOR]


def record(
    session: Session,
    actor: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to ``session`` (written with the action's own transaction)."""
    session.add(
        AuditEntry(
            actor=actor[:MAX_ACTOR],
            action=action[:MAX_ACTION],
            target=target[:MAX_TARGET],
            details=details or None,
            created_at=utcnow(),
        )
    )


def write(
    db: Database,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    *,
    actor: str | None = None,
) -> None:
    """Record an action in a transaction of its own (``actor`` defaults to :func:`cli_actor`)."""
    with db.session() as s:
        record(s, actor or cli_actor(), action, target, details)


def recent(
    db: Database,
    *,
    since: datetime | None = None,
    action: str | None = None,
    limit: int = 100,
) -> Sequence[AuditEntry]:
    """The newest entries first; ``action`` matches a whole action or a prefix (``config``)."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    if action:
        prefix = action.rstrip(".") + "."
        query = query.where(
            (AuditEntry.action == action) | AuditEntry.action.startswith(prefix, autoescape=True)
        )
    with db.session() as s:
        return list(s.scalars(query.limit(limit)))
