"""The analysis API: ``POST /v1/analyses`` (sync under 10 KB, else async), GET one, list.

Logs come as JSON (``{"logs": …}``) or as a raw upload: any other content type, the
body being the log, plain or gzip (``Content-Encoding: gzip`` or gzip magic), with
``workflow_name`` and ``callback_url`` as query parameters.

A sync analysis runs its LLM call on an executor of its own, in a bounded number of
slots (``ciapi/sync_slots.py``); without a free slot (in total, or for this tenant) it is
queued for the worker like a large log: 202 + ``Location``. The body must arrive within
``ARGUS_HTTP_BODY_TIMEOUT_SECONDS`` (else 408). Failures are stored in words of our own
(``analyses.tenant_error``); the provider's text goes to the server log only.
"""

from __future__ import annotations

import asyncio
import functools
from typing import TYPE_CHECKING, Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from argusai.ciapi import analyses, usage
from argusai.ciapi.alerts import check_quota
from argusai.ciapi.apikeys import READ, WRITE, KeyOwner
from argusai.ciapi.deadline import AnalysisTimeout
from argusai.ciapi.guard import ApiError, actor, authorise, record, record_repeated
from argusai.ciapi.intake import body_limit, check_callback, parse, read_capped
from argusai.ciapi.kind import ANALYSIS
from argusai.ciapi.schemas import (
    NOT_BLANK,
    AnalysisOut,
    AnalysisPage,
    AnalysisRequest,
    Problem,
)
from argusai.ciapi.sync_slots import Slot, slots_for
from argusai.ciapi.tenants import webhook_of
from argusai.ciapi.tiers import max_log_bytes, monthly_quota
from argusai.ciapi.uploads import RETRY_AFTER_SECONDS, uploads_for
from argusai.errors import PermanentError, TransientError
from argusai.llm.breaker import CircuitOpenError
from argusai.runtime import Runtime

if TYPE_CHECKING:
    from argusai.cilog.models import Analysis

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1", tags=["analyses"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing, unknown or revoked API key."},
    403: {"model": Problem, "description": "The API key lacks the permission (read-only)."},
    408: {"model": Problem, "description": "The body did not arrive in time."},
    404: {"model": Problem, "description": "No such analysis for this tenant."},
    413: {"model": Problem, "description": "Log over the tier's or the server's limit."},
    429: {
        "model": Problem,
        "description": "Per-minute rate limit, monthly quota, or uploads in progress from "
        "this address (ARGUS_CI_MAX_UPLOADS_PER_IP) exceeded; see Retry-After.",
    },
}


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.argus.runtime
    return rt


def _answer(status: int, model: AnalysisOut, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(model.model_dump(mode="json"), status_code=status, headers=headers)


def _error(exc: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.detail}, exc.status, headers={**(headers or {}), **exc.headers}
    )


@router.post(
    "/analyses",
    response_model=AnalysisOut,
    responses={
        202: {"model": AnalysisOut, "description": "Accepted: processed by a worker."},
        504: {
            "model": AnalysisOut,
            "description": "The analysis took longer than its limit (5 minutes by default): "
            "it is failed with an AnalysisTimeout error.",
        },
        **_ERRORS,
    },
    summary="Analyse a failed CI log",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": AnalysisRequest.model_json_schema()},
                "text/plain": {"schema": {"type": "string", "minLength": 1, "pattern": NOT_BLANK}},
                "application/gzip": {"schema": {"type": "string", "format": "binary"}},
            },
            "required": True,
        }
    },
)
async def create_analysis(
    request: Request, x_api_key: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Explain a log: answered at once (200) under the sync limit, else queued (202)."""
    rt = _runtime(request)
    upload = uploads_for(rt.settings).take(actor(request).ip or "-")
    if upload is None:
        await run_in_threadpool(record_repeated, rt, None, "uploads.exceeded", request)
        limit = rt.settings.ci_max_uploads_per_ip
        return _error(
            ApiError(
                429,
                f"{limit} uploads from this address are in progress already; retry shortly",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        )
    with upload:
        return await _create_analysis(request, rt, x_api_key)


async def _create_analysis(request: Request, rt: Runtime, x_api_key: str | None) -> JSONResponse:
    headers: dict[str, str] = {}
    try:
        owner, tier, headers = await authorise(request, rt, x_api_key, need=WRITE)
        cap = max_log_bytes(tier, rt.settings)
        is_json = request.headers.get("content-type", "").startswith("application/json")
        raw = await read_capped(
            request, body_limit(cap, is_json), rt.settings.http_body_timeout_seconds
        )
        data, req = await run_in_threadpool(
            parse, raw, request.headers, dict(request.query_params), cap
        )
        assert req is not None
        if req.callback_url:
            await slots_for(rt.settings).off_pool(check_callback, rt, req.callback_url)
        quota = monthly_quota(tier, owner.quota_override)
        if not await run_in_threadpool(
            usage.take_request, rt.db, owner.tenant_id, quota, len(data)
        ):
            await run_in_threadpool(record_repeated, rt, owner.tenant_id, "quota.exceeded", request)
            wait = str(usage.seconds_to_next_period())
            raise ApiError(
                429,
                f"monthly quota of {quota} analyses used up for {usage.period_of()}; "
                "it renews on the 1st (UTC) — upgrade the tier for more",
                {"Retry-After": wait},
            )
        await run_in_threadpool(check_quota, rt, owner.tenant_id, quota)  # 80 %/100 % notices
    except ApiError as exc:
        return _error(exc, headers)
    return await _run(request, rt, owner, data, req, headers)


async def _run(
    request: Request,
    rt: Runtime,
    owner: KeyOwner,
    data: bytes,
    req: AnalysisRequest,
    headers: dict[str, str],
) -> JSONResponse:
    callback = req.callback_url or await run_in_threadpool(_default_callback, rt, owner.tenant_id)
    common: dict[str, Any] = {
        "tenant_id": owner.tenant_id,
        "api_key_id": owner.key_id,
        "size": len(data),
        "workflow_name": req.workflow_name,
        "metadata": req.metadata,
    }
    if len(data) <= rt.settings.ci_sync_max_bytes:
        slot = slots_for(rt.settings).take(owner.tenant_id)
        if slot is not None:
            with slot:
                return await _run_sync(
                    request, rt, owner, data, req, headers, callback, slot, common
                )
        log.info("ci.sync_overflow", tenant_id=owner.tenant_id)  # queued like a large log
    blob = await run_in_threadpool(analyses.gzip_log, data)
    row = await _create(
        request, rt, owner, mode="async", callback_url=callback, log_gzip=blob, **common
    )
    rt.queue.dispatch(ANALYSIS, row.id)
    return _answer(202, analyses.view(row), {**headers, "Location": f"/v1/analyses/{row.id}"})


async def _create(
    request: Request, rt: Runtime, owner: KeyOwner, *, mode: str, **fields: Any
) -> Analysis:
    """Store a new analysis and audit its creation."""
    row = await run_in_threadpool(analyses.create, rt.db, mode=mode, **fields)
    await run_in_threadpool(
        record, rt, owner.tenant_id, "analysis.create", request, "analysis", row.id, {"mode": mode}
    )
    return row


async def _run_sync(
    request: Request,
    rt: Runtime,
    owner: KeyOwner,
    data: bytes,
    req: AnalysisRequest,
    headers: dict[str, str],
    callback: str | None,
    slot: Slot,
    common: dict[str, Any],
) -> JSONResponse:
    """Explain the log now, in ``slot``; 202 (queued) when the provider is unavailable."""
    row = await _create(request, rt, owner, mode="sync", callback_url=None, **common)
    bound = log.bind(analysis_id=row.id, tenant_id=owner.tenant_id)
    limit = rt.settings.ci_analysis_timeout_seconds
    try:
        done = await asyncio.wait_for(
            slot.run(
                functools.partial(analyses.analyse, redactor=rt.redactor),
                rt.llm,
                rt.settings,
                data,
                req.workflow_name,
            ),
            limit,
        )
    except TimeoutError:
        # the call goes on in its thread (holding its slot) until it ends; its result is dropped
        exc = AnalysisTimeout(limit)
        bound.warning("ci.analysis_timeout", seconds=limit)
        await run_in_threadpool(analyses.fail, rt.db, row.id, analyses.tenant_error(exc))
        return _answer(504, await _view(rt, owner, row.id), headers)
    except (TransientError, CircuitOpenError) as exc:
        bound.warning("ci.sync_deferred", error=type(exc).__name__, detail=str(exc)[:500])
        await run_in_threadpool(_to_async, rt, row.id, data, callback)
        rt.queue.dispatch(ANALYSIS, row.id)
        location = {"Location": f"/v1/analyses/{row.id}"}
        return _answer(202, await _view(rt, owner, row.id), {**headers, **location})
    except PermanentError as exc:
        bound.warning("ci.analysis_failed", error=type(exc).__name__, detail=str(exc)[:500])
        await run_in_threadpool(analyses.fail, rt.db, row.id, analyses.tenant_error(exc))
        return _answer(502, await _view(rt, owner, row.id), headers)
    await run_in_threadpool(analyses.complete, rt.db, row.id, done)
    return _answer(200, await _view(rt, owner, row.id), headers)


def _default_callback(rt: Runtime, tenant_id: str) -> str | None:
    with rt.db.session() as s:
        hook = webhook_of(s, tenant_id)
        return hook.url if hook is not None else None


def _to_async(rt: Runtime, analysis_id: str, data: bytes, callback: str | None) -> None:
    from argusai.ciapi.models import AnalysisLog
    from argusai.cilog.models import Analysis, AnalysisStatus

    with rt.db.session() as s:
        row = s.get(Analysis, analysis_id)
        assert row is not None
        row.mode, row.status, row.callback_url = "async", AnalysisStatus.PENDING.value, callback
        row.callback_status = "pending" if callback else None
        s.add(AnalysisLog(analysis_id=analysis_id, data_gzip=analyses.gzip_log(data)))


async def _view(rt: Runtime, owner: KeyOwner, analysis_id: str) -> AnalysisOut:
    row = await run_in_threadpool(analyses.get_for_tenant, rt.db, owner.tenant_id, analysis_id)
    assert row is not None
    return analyses.view(row)


@router.get(
    "/analyses/{analysis_id}",
    response_model=AnalysisOut,
    responses=_ERRORS,
    summary="One analysis of this tenant",
)
async def get_analysis(
    request: Request, analysis_id: str, x_api_key: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """The analysis, with its result once completed (another tenant's is a 404)."""
    rt = _runtime(request)
    try:
        owner, _tier, headers = await authorise(request, rt, x_api_key, need=READ)
    except ApiError as exc:
        return _error(exc)
    row = await run_in_threadpool(analyses.get_for_tenant, rt.db, owner.tenant_id, analysis_id[:64])
    await run_in_threadpool(
        record,
        rt,
        owner.tenant_id,
        "analysis.read",
        request,
        "analysis",
        analysis_id[:64],
        {"found": row is not None},
    )
    if row is None:
        return _error(ApiError(404, "no such analysis"), headers)
    return _answer(200, analyses.view(row), headers)


@router.get(
    "/analyses",
    response_model=AnalysisPage,
    responses=_ERRORS,
    summary="This tenant's analyses, newest first",
)
async def list_analyses(
    request: Request,
    x_api_key: Annotated[str | None, Header()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    status: Annotated[str | None, Query(pattern="^(pending|processing|completed|failed)$")] = None,
) -> JSONResponse:
    """A page of the tenant's analyses."""
    rt = _runtime(request)
    try:
        owner, _tier, headers = await authorise(request, rt, x_api_key, need=READ)
    except ApiError as exc:
        return _error(exc)
    rows = await run_in_threadpool(
        lambda: analyses.list_for_tenant(
            rt.db, owner.tenant_id, limit=limit + 1, offset=offset, status=status
        )
    )
    await run_in_threadpool(record, rt, owner.tenant_id, "analysis.list", request, None, None)
    page = AnalysisPage(
        items=[analyses.view(r) for r in rows[:limit]],
        next_offset=offset + limit if len(rows) > limit else None,
    )
    return JSONResponse(page.model_dump(mode="json"), headers=headers)
