"""Configured sources: ``ARGUS_SCOUT_SOURCES`` names, built-in defaults, rows of scout_sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from argusai.errors import ConfigError
from argusai.scout.models import ScoutSource
from argusai.scout.sources.awesome import AWESOME_PATH, AWESOME_REPO
from argusai.scout.sources.base import DEFAULT_LABEL
from argusai.store.db import Database

KINDS = ("awesome-for-beginners", "markdown-list", "installed")
#: sources known by name without a row: ``ARGUS_SCOUT_SOURCES=awesome-for-beginners,installed``
BUILTIN: dict[str, tuple[str, dict[str, Any]]] = {
    "awesome-for-beginners": (
        "awesome-for-beginners",
        {"repo": AWESOME_REPO, "path": AWESOME_PATH, "label": DEFAULT_LABEL},
    ),
    "installed": ("installed", {"label": DEFAULT_LABEL}),
}


@dataclass(frozen=True)
class SourceSpec:
    """A source to crawl: its name, adapter kind and options."""

    name: str
    kind: str
    options: dict[str, Any] = field(default_factory=dict)


def check_options(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """Validated options for ``kind`` (defaults filled in); ConfigError otherwise."""
    if kind not in KINDS:
        raise ConfigError(f"unknown source kind {kind!r} (one of {', '.join(KINDS)})")
    merged = {**BUILTIN.get(kind, (kind, {}))[1], **options}
    merged.setdefault("label", DEFAULT_LABEL)
    if kind == "markdown-list":
        merged.setdefault("path", "README.md")
        if "/" not in str(merged.get("repo", "")):
            raise ConfigError("a markdown-list source needs --option repo=<owner>/<name>")
    return merged


def configured_sources(
    db: Database, names: tuple[str, ...], only: str | None = None
) -> list[SourceSpec]:
    """``names`` in order (a row or a built-in each), then other enabled rows; or just ``only``."""
    with db.session() as session:
        rows = {r.name: r for r in session.scalars(select(ScoutSource).order_by(ScoutSource.id))}
    specs: list[SourceSpec] = []
    wanted = [only] if only else [*names, *(n for n, r in rows.items() if r.enabled)]
    for name in dict.fromkeys(wanted):
        row = rows.get(name)
        if row is not None:
            opts = {k: v for k, v in (row.options or {}).items() if k != "cache"}
            specs.append(SourceSpec(name, row.kind, check_options(row.kind, opts)))
        elif name in BUILTIN:
            kind, options = BUILTIN[name]
            specs.append(SourceSpec(name, kind, dict(options)))
        else:
            raise ConfigError(
                f"unknown scout source {name!r}: add it with `argus scout source add`"
            )
    return specs


def add_source(db: Database, kind: str, name: str, options: dict[str, Any]) -> SourceSpec:
    """Create or replace the source ``name``."""
    checked = check_options(kind, options)
    with db.session() as session:
        row = session.scalar(select(ScoutSource).where(ScoutSource.name == name))
        if row is None:
            session.add(ScoutSource(name=name, kind=kind, options=checked, enabled=True))
        else:
            row.kind, row.options, row.enabled = kind, checked, True
    return SourceSpec(name, kind, checked)


def list_sources(db: Database, names: tuple[str, ...]) -> list[tuple[SourceSpec, str]]:
    """Every source with where it comes from (``settings``, ``added``, ``disabled``)."""
    with db.session() as session:
        rows = list(session.scalars(select(ScoutSource).order_by(ScoutSource.id)))
    found = {r.name for r in rows}
    out = [
        (SourceSpec(n, *BUILTIN[n]), "settings") for n in names if n in BUILTIN and n not in found
    ]
    for r in rows:
        origin = "settings" if r.name in names else ("added" if r.enabled else "disabled")
        opts = {k: v for k, v in (r.options or {}).items() if k != "cache"}
        out.append((SourceSpec(r.name, r.kind, opts), origin))
    return out
