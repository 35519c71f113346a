"""Delete what outlived its time, in small batches, on SQLite and PostgreSQL alike.

Each batch is one short transaction: pick up to ``batch_size`` keys of rows that match the
rule, then DELETE (or UPDATE, for a rule that clears columns) those keys *still* matching
it — an item an operator re-queued in between is no longer finished and stays. Writers are
never blocked for long, and a run stopped half-way leaves a consistent database: the next
run goes on where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import delete, func, select, update

from argusai.retention.rules import Rule
from argusai.store.db import Database
from argusai.store.models import utcnow

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Pruned:
    """One kind of data: how many rows would go (dry run) or went, and the cutoff used."""

    kind: str
    days: int
    what: str
    cutoff: datetime | None
    rows: int
    files: int = 0


def cutoff_of(rule: Rule, now: datetime) -> datetime | None:
    """The time before which the rule's data goes; None when it is kept forever."""
    return None if rule.days <= 0 else now - timedelta(days=rule.days)


def count(db: Database, rules: list[Rule], *, now: datetime | None = None) -> list[Pruned]:
    """What a prune would remove now, kind by kind (changes nothing)."""
    now = now or utcnow()
    found = []
    with db.session() as s:
        for rule in rules:
            cutoff = cutoff_of(rule, now)
            rows = 0
            if cutoff is not None:
                rows = int(
                    s.scalar(
                        select(func.count()).select_from(rule.model).where(rule.condition(cutoff))
                    )
                    or 0
                )
            found.append(Pruned(rule.kind, rule.days, rule.what, cutoff, rows))
    return found


def prune(
    db: Database,
    rules: list[Rule],
    *,
    batch_size: int,
    files_root: Path | None = None,
    now: datetime | None = None,
) -> list[Pruned]:
    """Remove every rule's expired rows, ``batch_size`` per transaction; what went, by kind.

    ``files_root``: files a rule names (scout run logs) are removed only under it.
    """
    now = now or utcnow()
    done = []
    for rule in rules:
        cutoff = cutoff_of(rule, now)
        rows = files = 0
        if cutoff is not None:
            rows, files = _prune_rule(db, rule, cutoff, batch_size, files_root)
        if rows:
            log.info("retention.pruned", kind=rule.kind, rows=rows, files=files, days=rule.days)
        done.append(Pruned(rule.kind, rule.days, rule.what, cutoff, rows, files))
    return done


def _prune_rule(
    db: Database, rule: Rule, cutoff: datetime, batch_size: int, files_root: Path | None
) -> tuple[int, int]:
    rows = files = 0
    condition = rule.condition(cutoff)
    after: Any = None  # keyset pagination: each batch starts past the last one
    while True:
        paths: list[str] = []
        with db.session() as s:
            pick = select(rule.key).where(condition)
            if after is not None:
                pick = pick.where(rule.key > after)
            keys = list(s.scalars(pick.order_by(rule.key).limit(batch_size)))
            if not keys:
                break
            after = keys[-1]
            chosen = rule.key.in_(keys)
            if rule.files is not None:
                paths = [p for p in s.scalars(select(rule.files).where(chosen, condition)) if p]
            statement: Any = (
                update(rule.model).values(rule.clear) if rule.clear else delete(rule.model)
            )
            result = s.execute(
                statement.where(chosen, condition).execution_options(synchronize_session=False)
            )
            rows += int(getattr(result, "rowcount", 0) or 0)
        files += _remove_files(paths, files_root)  # after the commit: a row never outlives
        if len(keys) < batch_size:
            break
    return rows, files


def _remove_files(paths: list[str], root: Path | None) -> int:
    """Remove the files (only under ``root``) and the folders they leave empty."""
    if root is None or not paths:
        return 0
    base = root.resolve()
    removed = 0
    for name in paths:
        path = Path(name).resolve()
        if not path.is_relative_to(base) or path == base:
            log.warning("retention.file_outside_data_dir", path=name)
            continue
        try:
            path.unlink()
            removed += 1
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("retention.file_not_removed", path=name, error=type(exc).__name__)
            continue
        parent = path.parent
        while parent != base and parent.is_relative_to(base):
            try:
                parent.rmdir()  # only when empty
            except OSError:
                break
            parent = parent.parent
    return removed
