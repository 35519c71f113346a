"""The analysis API: ``POST /v1/analyses`` (sync under 10 KB, else async), GET one, list.

Logs come as JSON (``{"logs": …}``) or as a raw upload: any other content type, the
body being the log, plain or gzip (``Content-Encoding: gzip`` or gzip magic), with
``workflow_name`` and ``callback_url`` as query parameters.
"""

from __future__ import annotations

import json
import weakref
import zlib
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import Headers

from argusai.ci import analyses, apikeys, audit, usage
from argusai.ci.analysis_tasks import AnalysisTasks, register_analysis_tasks
from argusai.ci.api_models import AnalysisOut, AnalysisPage, AnalysisRequest, Problem
from argusai.ci.apikeys import KeyOwner
from argusai.ci.ssrf import UnsafeURL, check_url
from argusai.ci.tenants import webhook_of
from argusai.ci.tiers import Tier, max_log_bytes, monthly_quota, tier_named
from argusai.errors import PermanentError, TransientError
from argusai.jobs.runtime import Runtime
from argusai.limits import RateLimiter, limits_for
from argusai.limits.policy import MINUTE
from argusai.llm.breaker import CircuitOpenError

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/v1", tags=["analyses"])

MAX_METADATA_BYTES = 16 * 1024
_JSON_SLACK = 64 * 1024
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Missing, unknown or revoked API key."},
    404: {"model": Problem, "description": "No such analysis for this tenant."},
    413: {"model": Problem, "description": "Log over the tier's or the server's limit."},
    429: {"model": Problem, "description": "Per-minute rate limit or monthly quota exceeded."},
}
_limiters: weakref.WeakKeyDictionary[Any, dict[str, RateLimiter]] = weakref.WeakKeyDictionary()


class ApiError(Exception):
    """An error answer with headers."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def _runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.argus.runtime
    return rt


def _tasks(rt: Runtime) -> AnalysisTasks:
    return register_analysis_tasks(rt.huey, lambda: rt)


def _actor(request: Request) -> audit.Actor:
    return audit.Actor(
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _limiter(rt: Runtime, tier: Tier) -> RateLimiter | None:
    if tier.requests_per_minute is None:
        return None
    from pyrate_limiter import Rate

    limits = limits_for(rt.settings)
    per = _limiters.setdefault(limits, {})
    if tier.name not in per:
        rate = Rate(tier.requests_per_minute, int(MINUTE * 1000))
        per[tier.name] = RateLimiter(limits.backend, f"api-{tier.name}", [rate])
    return per[tier.name]


def _remaining(limiter: RateLimiter, key: str, limit: int) -> int:
    """Permits left in the window (best effort: the bucket's count after a clean-up)."""
    from argusai.limits.limiter import now_ms

    try:
        entry = limiter._entry(key)  # the limiter exposes no count of its own
        with entry.lock:
            entry.bucket.leak(now_ms())
            count = entry.bucket.count()
    except Exception:  # noqa: BLE001 - a header is not worth failing the request for
        return max(0, limit - 1)
    return max(0, limit - int(count if isinstance(count, int) else limit))


async def _authorise(
    request: Request, rt: Runtime, key: str | None
) -> tuple[KeyOwner, Tier, dict[str, str]]:
    """Check the key and the per-minute limit; the owner, tier and rate headers."""
    owner = await run_in_threadpool(apikeys.authenticate, rt.db, key)
    if owner is None:
        await run_in_threadpool(_audit, rt, None, "auth.failed", request, None, None)
        raise ApiError(401, "missing, unknown or revoked API key", {"WWW-Authenticate": "ApiKey"})
    tier = tier_named(owner.tier)
    limiter = _limiter(rt, tier)
    headers: dict[str, str] = {}
    if limiter is not None and tier.requests_per_minute is not None:
        limit = tier.requests_per_minute
        wait = await run_in_threadpool(limiter.acquire, owner.key_id)
        if wait > 0:
            reset = str(max(1, int(wait + 0.999)))
            await run_in_threadpool(
                _audit, rt, owner.tenant_id, "ratelimit.exceeded", request, "api_key", owner.key_id
            )
            raise ApiError(
                429,
                f"rate limit exceeded: {limit} requests/minute for the {tier.name} tier",
                {
                    "Retry-After": reset,
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset,
                },
            )
        left = await run_in_threadpool(_remaining, limiter, owner.key_id, limit)
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(left),
            "X-RateLimit-Reset": str(int(MINUTE)),
        }
    return owner, tier, headers


def _audit(
    rt: Runtime,
    tenant_id: str | None,
    action: str,
    request: Request,
    resource_type: str | None,
    resource_id: str | None,
    changes: dict[str, Any] | None = None,
) -> None:
    with rt.db.session() as s:
        audit.record(
            s,
            tenant_id=tenant_id,
            action=action,
            actor=_actor(request),
            resource_type=resource_type,
            resource_id=resource_id,
            changes=changes,
        )


async def _read_capped(request: Request, cap: int) -> bytes:
    """The raw body, refusing (413) as soon as it passes ``cap`` bytes."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > cap:
        raise ApiError(413, f"request body over the limit of {cap} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise ApiError(413, f"request body over the limit of {cap} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _gunzip_capped(data: bytes, cap: int) -> bytes:
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib, auto-detected
    try:
        out = inflater.decompress(data, cap + 1)
    except zlib.error:
        raise ApiError(400, "the body is not valid gzip") from None
    if len(out) > cap or inflater.unconsumed_tail:
        raise ApiError(413, f"log over the limit of {cap} bytes once decompressed")
    return out


def _parse(
    raw: bytes, headers: Headers, query: dict[str, str], cap: int
) -> tuple[bytes, AnalysisRequest | None]:
    """The log bytes and, for JSON, the validated request (422 naming the field)."""
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    gz = headers.get("content-encoding", "").lower() == "gzip" or raw[:2] == b"\x1f\x8b"
    if gz:
        raw = _gunzip_capped(raw, cap if ctype != "application/json" else 2 * cap + _JSON_SLACK)
    if ctype == "application/json":
        try:
            req = AnalysisRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        data = req.logs.encode("utf-8", "surrogateescape")
        if req.metadata is not None and len(json.dumps(req.metadata)) > MAX_METADATA_BYTES:
            raise RequestValidationError(
                [
                    {
                        "type": "too_long",
                        "loc": ("body", "metadata"),
                        "msg": f"metadata over {MAX_METADATA_BYTES} bytes as JSON",
                        "input": None,
                    }
                ]
            )
    else:
        data = raw
        try:
            req = AnalysisRequest(
                logs="-",
                workflow_name=query.get("workflow_name"),
                callback_url=query.get("callback_url"),
            )
        except ValidationError as exc:
            raise RequestValidationError(
                [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
    if not data.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "logs"), "msg": "the log is empty", "input": None}]
        )
    if len(data) > cap:
        raise ApiError(413, f"log over the limit of {cap} bytes")
    return data, req


def _check_callback(rt: Runtime, url: str) -> None:
    try:
        check_url(url, rt.settings.ci_callback_allowlist)
    except UnsafeURL as exc:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "callback_url"),
                    "msg": str(exc),
                    "input": url,
                }
            ]
        ) from None


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
        **_ERRORS,
    },
    summary="Analyse a failed CI log",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": AnalysisRequest.model_json_schema()},
                "text/plain": {"schema": {"type": "string"}},
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
    headers: dict[str, str] = {}
    try:
        owner, tier, headers = await _authorise(request, rt, x_api_key)
        cap = max_log_bytes(tier, rt.settings)
        is_json = request.headers.get("content-type", "").startswith("application/json")
        raw = await _read_capped(request, 2 * cap + _JSON_SLACK if is_json else cap)
        data, req = await run_in_threadpool(
            _parse, raw, request.headers, dict(request.query_params), cap
        )
        assert req is not None
        if req.callback_url:
            await run_in_threadpool(_check_callback, rt, req.callback_url)
        quota = monthly_quota(tier, owner.quota_override)
        if not await run_in_threadpool(
            usage.take_request, rt.db, owner.tenant_id, quota, len(data)
        ):
            await run_in_threadpool(
                _audit, rt, owner.tenant_id, "quota.exceeded", request, None, None
            )
            wait = str(usage.seconds_to_next_period())
            raise ApiError(
                429,
                f"monthly quota of {quota} analyses used up for {usage.period_of()}; "
                "it renews on the 1st (UTC) — upgrade the tier for more",
                {"Retry-After": wait},
            )
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
        row = await run_in_threadpool(
            analyses.create, rt.db, mode="sync", callback_url=None, **common
        )
        await run_in_threadpool(
            _audit,
            rt,
            owner.tenant_id,
            "analysis.create",
            request,
            "analysis",
            row.id,
            {"mode": "sync"},
        )
        try:
            done = await run_in_threadpool(
                analyses.analyse, rt.llm, rt.settings, data, req.workflow_name
            )
        except (TransientError, CircuitOpenError) as exc:
            log.warning("ci.sync_deferred", analysis_id=row.id, error=type(exc).__name__)
            await run_in_threadpool(_to_async, rt, row.id, data, callback)
            _tasks(rt).dispatch_analysis(row.id)
            return _answer(
                202,
                await _view(rt, owner, row.id),
                {**headers, "Location": f"/v1/analyses/{row.id}"},
            )
        except PermanentError as exc:
            await run_in_threadpool(analyses.fail, rt.db, row.id, f"{type(exc).__name__}: {exc}")
            return _answer(502, await _view(rt, owner, row.id), headers)
        await run_in_threadpool(analyses.complete, rt.db, row.id, done)
        return _answer(200, await _view(rt, owner, row.id), headers)
    blob = await run_in_threadpool(analyses.gzip_log, data)
    row = await run_in_threadpool(
        analyses.create, rt.db, mode="async", callback_url=callback, log_gzip=blob, **common
    )
    await run_in_threadpool(
        _audit,
        rt,
        owner.tenant_id,
        "analysis.create",
        request,
        "analysis",
        row.id,
        {"mode": "async"},
    )
    _tasks(rt).dispatch_analysis(row.id)
    return _answer(202, analyses.view(row), {**headers, "Location": f"/v1/analyses/{row.id}"})


def _default_callback(rt: Runtime, tenant_id: str) -> str | None:
    with rt.db.session() as s:
        hook = webhook_of(s, tenant_id)
        return hook.url if hook is not None else None


def _to_async(rt: Runtime, analysis_id: str, data: bytes, callback: str | None) -> None:
    from argusai.ci.models import Analysis, AnalysisLog, AnalysisStatus

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
        owner, _tier, headers = await _authorise(request, rt, x_api_key)
    except ApiError as exc:
        return _error(exc)
    row = await run_in_threadpool(analyses.get_for_tenant, rt.db, owner.tenant_id, analysis_id[:64])
    await run_in_threadpool(
        _audit,
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
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Annotated[str | None, Query(pattern="^(pending|processing|completed|failed)$")] = None,
) -> JSONResponse:
    """A page of the tenant's analyses."""
    rt = _runtime(request)
    try:
        owner, _tier, headers = await _authorise(request, rt, x_api_key)
    except ApiError as exc:
        return _error(exc)
    rows = await run_in_threadpool(
        lambda: analyses.list_for_tenant(
            rt.db, owner.tenant_id, limit=limit + 1, offset=offset, status=status
        )
    )
    await run_in_threadpool(_audit, rt, owner.tenant_id, "analysis.list", request, None, None)
    page = AnalysisPage(
        items=[analyses.view(r) for r in rows[:limit]],
        next_offset=offset + limit if len(rows) > limit else None,
    )
    return JSONResponse(page.model_dump(mode="json"), headers=headers)
