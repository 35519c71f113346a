"""Analyses of the API: rows, the reduce + explain step, and the worker's lease and retries."""

from __future__ import annotations

import gzip
import re
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from argusai.ciapi.deadline import AnalysisTimeout
from argusai.ciapi.models import AnalysisLog
from argusai.ciapi.schemas import AnalysisOut, AnalysisResult, CallbackState, ReductionSummary
from argusai.ciapi.schemas import Usage as UsageOut
from argusai.ciapi.usage import add_tokens
from argusai.cilog.explain import ExplainOutputError, explain
from argusai.cilog.models import Analysis, AnalysisStatus
from argusai.cilog.reduce import reduce_bytes
from argusai.core.secrets import Redactor
from argusai.errors import LLMError, LLMRateLimited, TransientError
from argusai.llm.breaker import CircuitOpenError
from argusai.llm.port import LLMClient
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.store.models import utcnow

MAX_ERROR_CHARS = 1000
_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")


@dataclass(frozen=True)
class Processed:
    """The stored result of one analysis and what it cost."""

    result: dict[str, Any]
    reduction_ms: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


def analyse(
    llm: LLMClient,
    settings: Settings,
    data: bytes,
    workflow_name: str | None,
    *,
    redactor: Redactor,
) -> Processed:
    """Reduce a log and explain it with the runtime's ``redactor`` (raises the LLM's errors)."""
    started = time.perf_counter()
    reduction = reduce_bytes(data, settings.ci_token_budget)
    reduction_ms = int((time.perf_counter() - started) * 1000)
    explanation = explain(llm, reduction, workflow_name=workflow_name, redactor=redactor)
    summary = ReductionSummary(
        failing_step=reduction.failing_step,
        exit_code=reduction.exit_code,
        lines_in=reduction.lines_in,
        bytes_in=reduction.bytes_in,
        lines_kept=reduction.lines_kept,
        tokens=reduction.tokens,
        blocks_cut=reduction.blocks_cut,
        excerpt=reduction.excerpt,
    )
    result = AnalysisResult(explanation=explanation, reduction=summary)
    return Processed(
        result=result.model_dump(mode="json"),
        reduction_ms=reduction_ms,
        prompt_tokens=explanation.usage.prompt_tokens,
        completion_tokens=explanation.usage.completion_tokens,
        cost_usd=explanation.usage.cost_usd,
    )


def tenant_error(exc: BaseException) -> str:
    """What a tenant is told about a failed step: never the provider's own words.

    A provider's error text can echo what it was sent (headers, URL-encoded keys), so
    it goes to the server's (scrubbed) log only; the analysis stores this instead.
    """
    name = type(exc).__name__
    match = _HTTP_STATUS.search(str(exc))
    status = f" (HTTP {match.group(1)})" if match else ""
    if isinstance(exc, AnalysisTimeout):
        return f"{name}: {exc}"  # our own words (the limit), nothing of the provider's
    if isinstance(exc, ExplainOutputError):
        return f"{name}: the model's answer could not be used"
    if isinstance(exc, CircuitOpenError):
        return f"{name}: the LLM provider is failing; calls to it are paused for a while"
    if isinstance(exc, LLMRateLimited):
        return f"{name}: the LLM provider rate-limited the request{status}"
    if isinstance(exc, TransientError):
        return f"{name}: the LLM provider failed or could not be reached{status}"
    if isinstance(exc, LLMError):
        return f"{name}: the LLM provider refused the request{status}"
    if isinstance(exc, OSError | EOFError | ValueError):
        return f"{name}: the stored log could not be read"
    return f"{name}: the analysis failed"


def create(
    db: Database,
    *,
    tenant_id: str,
    api_key_id: str,
    size: int,
    mode: str,
    workflow_name: str | None,
    metadata: dict[str, Any] | None,
    callback_url: str | None,
    log_gzip: bytes | None = None,
) -> Analysis:
    """Record a new analysis (with its compressed log when it is processed later)."""
    now = utcnow()
    row = Analysis(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        api_key_id=api_key_id,
        workflow_name=workflow_name,
        request_metadata=metadata,
        logs_size_bytes=size,
        mode=mode,
        status=(AnalysisStatus.PROCESSING if mode == "sync" else AnalysisStatus.PENDING).value,
        callback_url=callback_url,
        callback_status="pending" if callback_url else None,
        attempts=1 if mode == "sync" else 0,
        created_at=now,
        started_at=now if mode == "sync" else None,
        next_attempt_at=now,
    )
    with db.session() as s:
        s.add(row)
        s.flush()
        if log_gzip is not None:
            s.add(AnalysisLog(analysis_id=row.id, data_gzip=log_gzip))
    return row


def complete(db: Database, analysis_id: str, done: Processed, owner: str | None = None) -> bool:
    """Store the result, count the tokens, drop the log; False if the lease was lost."""
    with db.session() as s:
        row = s.get(Analysis, analysis_id)
        if row is None or (owner is not None and row.lease_owner != owner):
            return False
        now = utcnow()
        row.status = AnalysisStatus.COMPLETED.value
        row.result = done.result
        row.error_message = None
        row.prompt_tokens = done.prompt_tokens
        row.completion_tokens = done.completion_tokens
        row.api_cost_usd = done.cost_usd
        row.reduction_ms = done.reduction_ms
        row.completed_at = now
        row.lease_expires_at = None
        if row.started_at is not None:
            row.processing_duration_ms = _ms(now - _aware(row.started_at))
        if row.tenant_id is not None:
            add_tokens(s, row.tenant_id, done.prompt_tokens, done.completion_tokens, done.cost_usd)
        s.execute(delete(AnalysisLog).where(AnalysisLog.analysis_id == analysis_id))
        return True


def fail(db: Database, analysis_id: str, error: str, owner: str | None = None) -> bool:
    """Mark an analysis failed for good (the log is dropped); False if the lease was lost."""
    with db.session() as s:
        row = s.get(Analysis, analysis_id)
        if row is None or (owner is not None and row.lease_owner != owner):
            return False
        now = utcnow()
        row.status = AnalysisStatus.FAILED.value
        row.error_message = error[:MAX_ERROR_CHARS]
        row.completed_at = now
        row.lease_expires_at = None
        if row.started_at is not None:
            row.processing_duration_ms = _ms(now - _aware(row.started_at))
        s.execute(delete(AnalysisLog).where(AnalysisLog.analysis_id == analysis_id))
        return True


def closed(db: Database, analysis_id: str, *, keep_log: bool = False) -> None:
    """After an async analysis left ``processing``: note the duration, drop the log (unless
    ``keep_log``: a dead letter may be retried)."""
    with db.session() as s:
        row = s.get(Analysis, analysis_id)
        if row is None or row.status not in {
            AnalysisStatus.COMPLETED.value,
            AnalysisStatus.FAILED.value,
        }:
            return
        if row.processing_duration_ms is None and row.started_at is not None:
            ended = _aware(row.completed_at or utcnow())
            row.processing_duration_ms = _ms(ended - _aware(row.started_at))
        if not keep_log:
            s.execute(delete(AnalysisLog).where(AnalysisLog.analysis_id == analysis_id))


def get_for_tenant(db: Database, tenant_id: str, analysis_id: str) -> Analysis | None:
    """The tenant's own analysis, or None (another tenant's looks exactly like a missing one)."""
    with db.session() as s:
        return s.scalar(
            select(Analysis).where(Analysis.id == analysis_id, Analysis.tenant_id == tenant_id)
        )


def list_for_tenant(
    db: Database, tenant_id: str, *, limit: int, offset: int, status: str | None = None
) -> list[Analysis]:
    """The tenant's analyses, newest first."""
    query = select(Analysis).where(Analysis.tenant_id == tenant_id)
    if status is not None:
        query = query.where(Analysis.status == status)
    query = query.order_by(Analysis.created_at.desc(), Analysis.id.desc())
    with db.session() as s:
        return list(s.scalars(query.offset(offset).limit(limit)))


def gzip_log(data: bytes) -> bytes:
    """The log as stored until processed."""
    return gzip.compress(data, compresslevel=5, mtime=0)


def view(row: Analysis) -> AnalysisOut:
    """The API's view of a row."""
    status: Any = row.status
    mode: Any = row.mode
    return AnalysisOut(
        id=row.id,
        status=status,
        mode=mode,
        workflow_name=row.workflow_name,
        metadata=row.request_metadata,
        logs_size_bytes=row.logs_size_bytes,
        result=AnalysisResult.model_validate(row.result) if row.result else None,
        error=row.error_message,
        created_at=_aware(row.created_at),
        started_at=_aware(row.started_at) if row.started_at else None,
        completed_at=_aware(row.completed_at) if row.completed_at else None,
        reduction_ms=row.reduction_ms,
        processing_duration_ms=row.processing_duration_ms,
        usage=UsageOut(
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cost_usd=row.api_cost_usd,
        ),
        callback=CallbackState(
            url=row.callback_url, status=row.callback_status, attempts=row.callback_attempts
        )
        if row.callback_url
        else None,
    )


def _aware(when: Any) -> Any:
    from datetime import UTC

    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def get_workflow(db: Database, analysis_id: str) -> str | None:
    """The workflow name given with an analysis."""
    with db.session() as s:
        return s.scalar(select(Analysis.workflow_name).where(Analysis.id == analysis_id))
