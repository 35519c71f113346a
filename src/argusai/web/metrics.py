"""``GET /metrics``: every process's metrics, plus the state of the work read at scrape time.

The counters and histograms come from the processes that did the work (the web process and
its worker child share a multiprocess folder, see ``telemetry.metrics``). What is true of the
deployment as a whole — queue depth, the oldest waiting item, dead letters, live workers,
breaker states — is read from the database when Prometheus asks, so every web process
reports the same numbers and none of them can drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import GaugeMetricFamily, Metric
from pydantic import BaseModel
from sqlalchemy import case, func, select
from sqlalchemy.exc import SQLAlchemyError

from argusai.llm.breaker import STATE_CLOSED, STATE_HALF_OPEN, STATE_OPEN, shared_breakers
from argusai.runtime import Runtime
from argusai.settings import Settings
from argusai.store.heartbeats import SeenWorker, seen_since
from argusai.store.models import DeadLetter, utcnow
from argusai.telemetry.exposition import metrics_access, scrape
from argusai.web.state import AppState

log = structlog.get_logger(__name__)
router = APIRouter()

#: the gauge value of each breaker state (the worst of the live processes is reported)
BREAKER_LEVEL = {STATE_CLOSED: 0, STATE_HALF_OPEN: 1, STATE_OPEN: 2}


class Refused(BaseModel):
    """Why the metrics were not served."""

    detail: str


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format."},
        401: {"model": Refused, "description": "ARGUS_METRICS_TOKEN is set: a bearer is needed."},
        404: {"model": Refused, "description": "No token set and not a direct loopback client."},
    },
)
def metrics(request: Request) -> Response:
    """Prometheus metrics of every process, and the work's state from the database."""
    state: AppState = request.app.state.argus
    token = state.settings.metrics_token
    allowed = metrics_access(
        token.get_secret_value() if token else None,
        authorization=request.headers.get("authorization"),
        client=request.client.host if request.client else None,
        headers=request.headers,
    )
    if allowed == 401:
        return JSONResponse(
            {"detail": "a bearer token is needed (ARGUS_METRICS_TOKEN)"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    if allowed == 404:
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    body = scrape(WorkCollector(state.runtime), local=[state.metrics.registry])
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def breaker_states(workers: list[SeenWorker]) -> dict[str, str]:
    """Each LLM breaker's worst state over this process and the live workers."""
    worst: dict[str, str] = dict(shared_breakers().states())
    for worker in workers:
        for name, state in worker.breakers.items():
            if BREAKER_LEVEL.get(state, 0) > BREAKER_LEVEL.get(worst.get(name, STATE_CLOSED), 0):
                worst[name] = state
            worst.setdefault(name, state)
    return worst


class WorkCollector:
    """Gauges read from the database at scrape time (a prometheus_client collector)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    def collect(self) -> Iterator[Metric]:
        """Queue depth and oldest age per kind, dead letters, workers, breakers."""
        up = GaugeMetricFamily("argus_database_up", "1 when the scrape could read the database")
        workers: list[SeenWorker] = []
        try:
            yield from self._queue()
            yield from self._dead_letters()
            workers, newest = seen_since(self.runtime.db, self.settings.worker_stale_seconds)
            yield GaugeMetricFamily(
                "argus_workers_alive", "Workers with a fresh heartbeat", value=len(workers)
            )
            if newest is not None:
                yield GaugeMetricFamily(
                    "argus_worker_heartbeat_age_seconds",
                    "Age of the newest worker heartbeat",
                    value=newest,
                )
            up.add_metric([], 1)
        except SQLAlchemyError as exc:
            log.warning("metrics: the database did not answer", error=type(exc).__name__)
            up.add_metric([], 0)
        yield up
        breakers = GaugeMetricFamily(
            "argus_llm_breaker_state",
            "LLM circuit breakers: 0 closed, 1 half-open, 2 open (worst of the live processes)",
            labels=["provider", "model"],
        )
        for name, state in sorted(breaker_states(workers).items()):
            provider, _, model = name.partition(":")
            breakers.add_metric([provider, model], BREAKER_LEVEL.get(state, 0))
        yield breakers

    def _queue(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "argus_queue_depth",
            "Work items queued (waiting or scheduled) or running, by kind",
            labels=["kind", "state"],
        )
        oldest = GaugeMetricFamily(
            "argus_queue_oldest_age_seconds",
            "How long the oldest due queued item of each kind has waited (0: none waits)",
            labels=["kind"],
        )
        now = utcnow()
        with self.runtime.db.session() as s:
            for kind in self.runtime.queue.registry:
                t = kind.table
                due = t.col("next_attempt_at")
                rows = s.execute(
                    select(t.col("status"), func.count(), func.min(case((due <= now, due))))
                    .where(t.col("status").in_(t.words.active))
                    .group_by(t.col("status"))
                ).all()
                counts: dict[str, int] = {"queued": 0, "running": 0}
                first: datetime | None = None
                for status, count, earliest in rows:
                    state = "queued" if status == t.words.queued else "running"
                    counts[state] += int(count)
                    if state == "queued" and earliest is not None:
                        first = earliest
                for state, count in counts.items():
                    depth.add_metric([kind.name, state], count)
                age = (now - _aware(first)).total_seconds() if first is not None else 0.0
                oldest.add_metric([kind.name], max(age, 0.0))
        yield depth
        yield oldest

    def _dead_letters(self) -> Iterator[Metric]:
        dead = GaugeMetricFamily(
            "argus_dead_letters", "Dead letters not yet retried, by kind", labels=["kind"]
        )
        with self.runtime.db.session() as s:
            counts: dict[str, Any] = dict(
                s.execute(
                    select(DeadLetter.kind, func.count())
                    .where(DeadLetter.retried_at.is_(None))
                    .group_by(DeadLetter.kind)
                ).all()
            )
        for name in sorted({*self.runtime.queue.registry.names(), *counts}):
            dead.add_metric([name], int(counts.get(name, 0)))
        yield dead


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
