"""Installation deliveries: who installed the App, on which repositories (always recorded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from argusai.core.payload import MAX_NAME, bounded_str
from argusai.core.router import Delivery, Ignored, Intent, Recorded
from argusai.store.models import Installation, Repository

INSTALLATION_EVENTS = ("installation", "installation_repositories")


@dataclass(frozen=True)
class InstallationChange:
    """The App was installed, removed, suspended, or its repositories changed."""

    installation_id: int
    account_login: str | None
    action: str
    repos_added: tuple[str, ...] = ()
    repos_removed: tuple[str, ...] = ()
    key: str = ""
    repo_name: str | None = None
    creates_work: bool = False

    def record(self, session: Any, delivery_id: str) -> Recorded:
        """Apply the change to the installations and repositories known."""
        del delivery_id
        apply(session, self)
        return Recorded(ignored=f"recorded {self.key}")


def installation(delivery: Delivery) -> Intent:
    """An ``installation`` / ``installation_repositories`` delivery → its change."""
    installation_id, action = delivery.installation_id, delivery.action
    if installation_id is None or action is None:
        return Ignored(f"{delivery.key} without an installation id", None, delivery.repo_name)
    inst = delivery.payload.get("installation")
    account = inst.get("account") if isinstance(inst, dict) else None
    login = bounded_str(account.get("login") if isinstance(account, dict) else None, MAX_NAME)
    common: dict[str, Any] = {"key": delivery.key, "repo_name": delivery.repo_name}
    if delivery.event == "installation":
        added = _names(delivery.payload.get("repositories")) if action == "created" else ()
        return InstallationChange(installation_id, login, action, repos_added=added, **common)
    return InstallationChange(
        installation_id,
        login,
        action,
        repos_added=_names(delivery.payload.get("repositories_added")),
        repos_removed=_names(delivery.payload.get("repositories_removed")),
        **common,
    )


def apply(s: Session, change: InstallationChange) -> None:
    """Write ``change`` to the installations and repositories tables."""
    row = s.get(Installation, change.installation_id)
    if change.action == "deleted":
        if row is not None:
            s.delete(row)
        s.execute(delete(Repository).where(Repository.installation_id == change.installation_id))
        return
    if row is None:
        row = Installation(id=change.installation_id)
        s.add(row)
    row.account_login = change.account_login or row.account_login
    if change.action in {"suspend", "unsuspend"}:
        row.suspended = change.action == "suspend"
    for name in change.repos_added:
        repo = s.scalar(select(Repository).where(Repository.full_name == name))
        if repo is None:
            s.add(Repository(full_name=name, installation_id=change.installation_id))
        else:
            repo.installation_id = change.installation_id
    if change.repos_removed:
        s.execute(delete(Repository).where(Repository.full_name.in_(change.repos_removed)))


def _names(items: object) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        str(i["full_name"])
        for i in items
        if isinstance(i, dict) and bounded_str(i.get("full_name"), MAX_NAME)
    )
