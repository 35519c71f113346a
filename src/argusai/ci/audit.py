"""The audit trail: one row per action on the analysis API (who, what, from where, when)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from argusai.ci.models import AuditLog


@dataclass(frozen=True, slots=True)
class Actor:
    """Where a request came from (the CLI is an actor too)."""

    ip: str | None = None
    user_agent: str | None = None


CLI = Actor(ip=None, user_agent="argus-cli")


def record(
    s: Session,
    *,
    tenant_id: str | None,
    action: str,
    actor: Actor,
    resource_type: str | None = None,
    resource_id: str | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the session (written with the action's own transaction)."""
    s.add(
        AuditLog(
            tenant_id=tenant_id,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            changes=changes,
            ip_address=(actor.ip or None) and actor.ip[:64],
            user_agent=(actor.user_agent or None) and actor.user_agent[:500],
        )
    )
