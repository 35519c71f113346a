"""Worker heartbeats: each worker process says every few seconds that it is alive.

``/readyz`` is ready only when some worker was seen recently; the row also carries the
worker's LLM circuit-breaker states, so the web process can report the breakers of the
processes that actually call the LLM.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.db import Database
from argusai.store.models import Base, utcnow


class WorkerHeartbeat(Base):
    """One worker process, as last seen."""

    __tablename__ = "worker_heartbeats"
    __table_args__ = (Index("idx_worker_heartbeats_seen", "seen_at"),)

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    threads: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[str] = mapped_column(String(32), default="")
    #: {"provider:model": "closed" | "open" | "half_open"}
    breakers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class SeenWorker:
    """A worker as ``/readyz`` reports it."""

    worker_id: str
    hostname: str
    pid: int
    age_seconds: float
    breakers: dict[str, str]


def beat(
    db: Database,
    worker_id: str,
    *,
    hostname: str,
    pid: int,
    threads: int,
    version: str,
    breakers: dict[str, str],
) -> None:
    """Record that ``worker_id`` is alive now (insert on its first beat)."""
    now = utcnow()
    with db.session() as s:
        result = s.execute(
            update(WorkerHeartbeat)
            .where(WorkerHeartbeat.worker_id == worker_id)
            .values(seen_at=now, breakers=breakers)
            .execution_options(synchronize_session=False)
        )
        if int(getattr(result, "rowcount", 0)) == 0:
            s.add(
                WorkerHeartbeat(
                    worker_id=worker_id,
                    hostname=hostname[:255],
                    pid=pid,
                    threads=threads,
                    version=version[:32],
                    breakers=breakers,
                    started_at=now,
                    seen_at=now,
                )
            )


def forget(db: Database, worker_id: str) -> None:
    """A worker stopping cleanly removes its row (it is not alive any more)."""
    with db.session() as s:
        s.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


def seen_since(db: Database, seconds: float) -> tuple[list[SeenWorker], float | None]:
    """Workers seen in the last ``seconds``, and the age of the newest beat of any (None: no
    worker ever reported, or its row was pruned)."""
    now = utcnow()
    with db.session() as s:
        newest = s.scalar(select(WorkerHeartbeat.seen_at).order_by(WorkerHeartbeat.seen_at.desc()))
        rows = s.scalars(
            select(WorkerHeartbeat)
            .where(WorkerHeartbeat.seen_at >= now - timedelta(seconds=seconds))
            .order_by(WorkerHeartbeat.seen_at.desc())
        ).all()
        seen = [
            SeenWorker(
                r.worker_id,
                r.hostname,
                r.pid,
                max((now - r.seen_at).total_seconds(), 0.0),
                {str(k): str(v) for k, v in (r.breakers or {}).items()},
            )
            for r in rows
        ]
    age = None if newest is None else max((now - newest).total_seconds(), 0.0)
    return seen, age
