"""The operator's configuration in the database: review settings for every repository,
for one installation or for one repository, changed with ``argus config set|unset``
while the server runs (each review reads them again: no restart).

One row per (scope, target, key); ``checks`` settings are rows of their own
(``checks.secrets``), so they merge key by key like the rest (``config_layers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import JSON, Integer, String, UniqueConstraint, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from argusai.errors import InputError
from argusai.review.config_layers import Layer, operator_source, source_keys
from argusai.review.repo_config import ALIASES, validate_layer
from argusai.store.db import Database
from argusai.store.models import Base, utcnow

ScopeKind = Literal["global", "installation", "repository"]
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class OperatorSetting(Base):
    """One review setting the operator gave for a scope."""

    __tablename__ = "operator_config"
    __table_args__ = (UniqueConstraint("scope", "target", "key", name="uq_operator_config_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))  # global | installation | repository
    target: Mapped[str] = mapped_column(String(255), default="")  # "", "123", "owner/repo"
    key: Mapped[str] = mapped_column(String(64))  # "severity_threshold", "checks.secrets"
    value: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"value": …}: JSON null stays a value
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


@dataclass(frozen=True)
class Scope:
    """Where an operator setting applies."""

    kind: ScopeKind
    target: str = ""

    @classmethod
    def of(cls, *, repo: str | None, installation: int | None, is_global: bool) -> Scope:
        """The scope the options name; exactly one of them (``InputError`` otherwise)."""
        given = [x for x in (repo is not None, installation is not None, is_global) if x]
        if len(given) != 1:
            raise InputError("give exactly one of --repo OWNER/NAME, --installation ID, --global")
        if repo is not None:
            if not _REPO.match(repo):
                raise InputError(f"--repo wants OWNER/NAME, not {repo!r}")
            return cls("repository", repo.lower())
        if installation is not None:
            if installation < 1:
                raise InputError(f"--installation wants a positive id, not {installation}")
            return cls("installation", str(installation))
        return cls("global")

    @property
    def source(self) -> str:
        """The layer's label, as ``argus config show`` prints it."""
        return operator_source(self.kind, self.target)


def canonical_key(key: str) -> str:
    """``key`` under our name (the seeds' aliases accepted); ``InputError`` if unknown."""
    key = ALIASES.get(key.strip(), key.strip())
    if key == "checks":
        raise InputError("set the checks one key at a time: checks.secrets, checks.max_file_bytes…")
    if key not in source_keys():
        raise InputError(f"unknown key {key!r}; the keys are: {', '.join(source_keys())}")
    return key


def _nested(key: str, value: Any) -> dict[str, Any]:
    if key.startswith("checks."):
        return {"checks": {key.removeprefix("checks."): value}}
    return {key: value}


def check_setting(key: str, value: Any) -> tuple[str, Any]:
    """(the canonical key, the value as it will be stored); ``InputError`` when invalid."""
    key = canonical_key(key)
    layer, problems = validate_layer(_nested(key, value))
    if problems:
        raise InputError(f"{key}: {'; '.join(problems)}")
    if key.startswith("checks."):
        return key, layer["checks"][key.removeprefix("checks.")]
    return key, layer[key]


def set_setting(db: Database, scope: Scope, key: str, value: Any) -> tuple[str, Any]:
    """Store ``key`` = ``value`` for ``scope`` (validated first); the key and stored value."""
    key, stored = check_setting(key, value)
    with db.session() as s:
        row = s.scalar(
            select(OperatorSetting).where(
                OperatorSetting.scope == scope.kind,
                OperatorSetting.target == scope.target,
                OperatorSetting.key == key,
            )
        )
        if row is None:
            s.add(
                OperatorSetting(
                    scope=scope.kind, target=scope.target, key=key, value={"value": stored}
                )
            )
        else:
            row.value = {"value": stored}
    return key, stored


def unset_setting(db: Database, scope: Scope, key: str) -> bool:
    """Remove ``key`` from ``scope``; False when it was not set there."""
    key = canonical_key(key)
    with db.session() as s:
        result = s.execute(
            delete(OperatorSetting).where(
                OperatorSetting.scope == scope.kind,
                OperatorSetting.target == scope.target,
                OperatorSetting.key == key,
            )
        )
    return bool(getattr(result, "rowcount", 0))


def _layer(scope: Scope, rows: list[OperatorSetting]) -> tuple[Layer, list[str]]:
    data: dict[str, Any] = {}
    for row in rows:
        value = (row.value or {}).get("value")
        if row.key.startswith("checks."):
            data.setdefault("checks", {})[row.key.removeprefix("checks.")] = value
        else:
            data[row.key] = value
    values, problems = validate_layer(data)  # a row older than a key's new rules
    return Layer(scope.source, values), [f"{scope.source}: {p}" for p in problems]


def operator_layers(
    db: Database, *, installation_id: int | None, repo: str | None
) -> tuple[list[Layer], list[str]]:
    """The operator's layers for a repository, bottom first (global, its installation, the
    repository; those with no setting left out), and problems with stored values."""
    scopes = [Scope("global")]
    if installation_id is not None:
        scopes.append(Scope("installation", str(installation_id)))
    if repo is not None:
        scopes.append(Scope("repository", repo.lower()))
    with db.session() as s:
        rows = list(
            s.scalars(
                select(OperatorSetting)
                .where(
                    or_(
                        *(
                            (OperatorSetting.scope == sc.kind)
                            & (OperatorSetting.target == sc.target)
                            for sc in scopes
                        )
                    )
                )
                .order_by(OperatorSetting.id)
            )
        )
    layers: list[Layer] = []
    problems: list[str] = []
    for scope in scopes:
        mine = [r for r in rows if r.scope == scope.kind and r.target == scope.target]
        if mine:
            layer, found = _layer(scope, mine)
            layers.append(layer)
            problems.extend(found)
    return layers, problems
