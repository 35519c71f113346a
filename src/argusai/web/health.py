"""``/healthz`` (alive) and ``/readyz`` (database, queue, configuration, workers, LLM).

``/readyz`` answers seed 000's fields: ``status`` (``healthy``, ``degraded`` or
``unhealthy``), ``timestamp`` and one entry per component under ``checks``, each with
``ok`` and its own ``status``; 503 when any component is not ok. A component can be ok
but ``degraded`` (an open LLM breaker: work waits, nothing is lost) — then 200.
``/metrics`` lives in ``web/metrics.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from argusai.llm.breaker import STATE_CLOSED
from argusai.store.heartbeats import SeenWorker, seen_since
from argusai.web.metrics import breaker_states
from argusai.web.state import AppState
from argusai.workq.huey import queue_ping

router = APIRouter()


@router.get("/healthz")
@router.head("/healthz", include_in_schema=False)  # load balancers probe with HEAD
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


class Readiness(BaseModel):
    """Each dependency's state: ``ok``, its ``status``, and what is missing or failing."""

    status: Literal["healthy", "degraded", "unhealthy"]
    ready: bool
    timestamp: str
    checks: dict[str, dict[str, Any]]


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is not ready."}},
)
@router.head("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """Each dependency's state; 503 when any is not ready."""
    state: AppState = request.app.state.argus
    checks = await run_in_threadpool(_checks, state)
    ready = all(c["ok"] for c in checks.values())
    degraded = any(c["status"] != "ok" for c in checks.values())
    status = "unhealthy" if not ready else "degraded" if degraded else "healthy"
    body = {
        "status": status,
        "ready": ready,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "checks": checks,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


def _check(ok: bool, **details: Any) -> dict[str, Any]:
    return {"ok": ok, "status": "ok" if ok else "error", **details}


def _checks(state: AppState) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}
    try:
        with state.runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = _check(True)
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = _check(False, error=type(exc).__name__)
    try:
        checks["queue"] = _check(True, pending=queue_ping(state.runtime.huey))
    except Exception as exc:  # noqa: BLE001
        checks["queue"] = _check(False, error=type(exc).__name__)
    missing = state.settings.missing_for_webhooks()
    checks["github_app"] = _check(not missing, missing=missing)
    workers: list[SeenWorker] = []
    try:
        workers, newest = seen_since(state.runtime.db, state.settings.worker_stale_seconds)
        checks["worker"] = _worker_check(state, workers, newest)
    except Exception as exc:  # noqa: BLE001 - the database check says why
        checks["worker"] = _check(False, error=type(exc).__name__)
    checks["llm"] = _llm_check(state, breaker_states(workers))
    return checks


def _worker_check(
    state: AppState, workers: list[SeenWorker], newest: float | None
) -> dict[str, Any]:
    """Ready while some worker's heartbeat is younger than ARGUS_WORKER_STALE_SECONDS."""
    stale = state.settings.worker_stale_seconds
    required = state.settings.ready_requires_worker
    details: dict[str, Any] = {
        "alive": len(workers),
        "stale_after_seconds": stale,
        "required": required,
        "last_heartbeat_seconds_ago": None if newest is None else round(newest, 1),
    }
    if workers:
        return _check(True, workers=[w.worker_id for w in workers[:20]], **details)
    reason = f"no worker heartbeat within {stale:g} s; " + (
        "no worker has reported" if newest is None else f"the last one was {newest:.0f} s ago"
    )
    return {
        "ok": not required,
        "status": "error" if required else "degraded",
        "reason": reason,
        **details,
    }


def _llm_check(state: AppState, breakers: dict[str, str]) -> dict[str, Any]:
    """Credentials present; degraded while a breaker is open or half-open (work waits)."""
    missing = state.settings.missing_for_llm()
    tripped = sorted(name for name, value in breakers.items() if value != STATE_CLOSED)
    check = _check(
        not missing,
        missing=missing,
        provider=state.settings.llm_provider.value,
        breakers=breakers,
    )
    if not missing and tripped:
        check |= {
            "status": "degraded",
            "reason": f"circuit breaker not closed: {', '.join(tripped)}",
        }
    return check
