"""``/healthz`` (alive) and ``/readyz`` (database, queue, configuration)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from argusai.web.state import AppState
from argusai.workq.huey import queue_ping

router = APIRouter()


@router.get("/healthz")
@router.head("/healthz", include_in_schema=False)  # load balancers probe with HEAD
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


class Readiness(BaseModel):
    """Each dependency's state: ``ok``, and what is missing or failing."""

    ready: bool
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
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def _checks(state: AppState) -> dict[str, dict[str, Any]]:
    checks: dict[str, dict[str, Any]] = {}
    try:
        with state.runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    try:
        checks["queue"] = {"ok": True, "pending": queue_ping(state.runtime.huey)}
    except Exception as exc:  # noqa: BLE001
        checks["queue"] = {"ok": False, "error": type(exc).__name__}
    missing = state.settings.missing_for_webhooks()
    checks["github_app"] = {"ok": not missing, "missing": missing}
    llm_missing = state.settings.missing_for_llm()
    checks["llm"] = {
        "ok": not llm_missing,
        "missing": llm_missing,
        "provider": state.settings.llm_provider.value,
    }
    return checks


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(request: Request) -> Response:
    """Prometheus metrics."""
    state: AppState = request.app.state.argus
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
