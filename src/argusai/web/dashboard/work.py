"""The work page's figures: each kind's queue (depth, oldest item, running, failed) and
the dead letters, from the work queue itself (its registry and :meth:`WorkQueue.dead`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from argusai.store.models import utcnow
from argusai.workq.queue import DeadItem, WorkQueue


@dataclass(frozen=True)
class KindRow:
    kind: str
    queued: int
    running: int
    failed: int
    oldest_queued: datetime | None

    @property
    def oldest_age_seconds(self) -> float | None:
        """How long the oldest queued item has been due."""
        if self.oldest_queued is None:
            return None
        return max(0.0, (utcnow() - self.oldest_queued).total_seconds())


def kinds(queue: WorkQueue) -> list[KindRow]:
    """One row per registered kind of work, by name."""
    rows = []
    with queue.db.session() as s:
        for kind in sorted(queue.registry, key=lambda k: k.name):
            t = kind.table
            w = t.words
            counts: dict[str, int] = dict(
                s.execute(
                    select(t.col("status"), func.count())
                    .where(t.col("status").in_([w.queued, w.running, w.failed]))
                    .group_by(t.col("status"))
                ).all()
            )
            oldest = s.scalar(
                select(func.min(t.col("next_attempt_at"))).where(t.col("status") == w.queued)
            )
            rows.append(
                KindRow(
                    kind.name,
                    int(counts.get(w.queued, 0)),
                    int(counts.get(w.running, 0)),
                    int(counts.get(w.failed, 0)),
                    oldest,
                )
            )
    return rows


def dead_letters(queue: WorkQueue) -> list[DeadItem]:
    """Dead letters not retried yet, newest first."""
    return sorted(queue.dead(), key=lambda d: d.created_at, reverse=True)
