"""Explain each failed job of a workflow run attempt: log → reduce → explain → ``analyses`` row.

On the way, the job's failing tests (or steps) join the repository's history, and the log is
compared with the last passing run of the same job (``ci.passing``): what is new ranks
first, and the prompt and the comment say what is new and how often the tests failed lately.
A job already explained for this CI run is read back from its row, so a retry after a
crash or a posting failure pays the LLM nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog
from sqlalchemy import select

from argusai.ci import history
from argusai.ci.format import JobAnalysis, prompt_context
from argusai.ci.models import CIRun
from argusai.ci.passing import PassingRuns
from argusai.ci.runs import RunContext
from argusai.ci.testnames import FailedTest, failed_tests_in
from argusai.cilog.compare import reduce_compared
from argusai.cilog.explain import ExplainOutputError, explain
from argusai.cilog.models import Analysis, AnalysisStatus
from argusai.core.secrets import Redactor
from argusai.errors import GitHubError, Superseded
from argusai.github.port import GitHubRepoClient, WorkflowJob
from argusai.llm.port import LLMClient
from argusai.settings import Settings
from argusai.store.db import Database
from argusai.store.models import utcnow

log = structlog.get_logger(__name__)

FAILED_CONCLUSIONS = ("failure", "timed_out")
MAX_JOBS_PER_RUN = 10  # a failing matrix of 50 jobs is explained by its first ten
_GONE = (404, 410)  # logs expire (90 days by default) or were deleted


def failed_jobs(jobs: list[WorkflowJob]) -> list[WorkflowJob]:
    """The jobs that failed or timed out, in GitHub's order."""
    return [j for j in jobs if j.conclusion in FAILED_CONCLUSIONS]


@dataclass(frozen=True)
class RunScope:
    """What the failed jobs of one run attempt share."""

    db: Database
    llm: LLMClient
    settings: Settings
    gh: GitHubRepoClient
    item: CIRun
    context: RunContext
    passing: PassingRuns | None  # None: no comparison with passing runs
    still_ours: Callable[[], bool]
    redactor: Redactor


def analyse_job(scope: RunScope, job: WorkflowJob) -> JobAnalysis:
    """Explain one failed job (its texts sanitised with the scope's redactor), or read back
    its earlier explanation."""
    db, settings, item = scope.db, scope.settings, scope.item
    stored = _stored(db, item.id, job.id)
    if stored is not None:
        return stored
    base = JobAnalysis(
        job_id=job.id, job_name=job.name, html_url=job.html_url, failed_steps=list(job.failed_steps)
    )
    started = time.perf_counter()
    owner, repo = item.repo_name.split("/", 1)
    try:
        job_log = scope.gh.download_job_log(
            owner, repo, job.id, max_bytes=settings.ci_max_log_bytes
        )
    except GitHubError as exc:
        if exc.status not in _GONE:
            raise
        base.note = f"The job's log is not available any more (GitHub answered {exc.status})."
        _remember(scope, job, [], base)
        return _store(db, item, base, AnalysisStatus.FAILED, started, error=base.note)
    mb = job_log.total_bytes / 1_048_576
    cap = settings.ci_max_log_bytes / 1_048_576
    if job_log.refused:
        base.note = f"The job's log is over {mb:,.0f} MB, too large to analyse (limit {cap:g} MB)."
        _remember(scope, job, [], base)
        return _store(db, item, base, AnalysisStatus.FAILED, started, error=base.note, size=mb)
    _remember(scope, job, failed_tests_in(job_log.data), base)
    found = scope.passing.baseline(job.name) if scope.passing is not None else None
    reduced_at = time.perf_counter()
    reduction, comparison = reduce_compared(
        job_log.data, found[1] if found else None, budget=settings.ci_token_budget
    )
    reduction_ms = int((time.perf_counter() - reduced_at) * 1000)
    if found is not None and comparison is not None:
        base.compared_with = {**found[0].to_dict(), "comparison": comparison.to_dict()}
    if job_log.truncated:
        base.note = f"The log was {mb:,.1f} MB: only its last {cap:g} MB were analysed."
    if not scope.still_ours():
        raise Superseded("a newer attempt superseded this run, or its lease was taken over")
    try:
        explanation = explain(
            scope.llm,
            reduction,
            workflow_name=item.workflow_name,
            job_name=job.name or None,
            context=prompt_context(base),
            redactor=scope.redactor,
        )
    except ExplainOutputError as exc:
        log.warning("ci.explain_unusable", job=job.id, error=str(exc)[:200])
        base.note = "The LLM's answer could not be used; see the job's log."
        return _store(db, item, base, AnalysisStatus.FAILED, started, error=str(exc)[:500])
    base.explanation = explanation.model_dump(mode="json")
    return _store(
        db,
        item,
        base,
        AnalysisStatus.COMPLETED,
        started,
        size=mb,
        reduction_ms=reduction_ms,
        tokens=(explanation.usage.prompt_tokens, explanation.usage.completion_tokens),
        cost=explanation.usage.cost_usd,
    )


def _remember(
    scope: RunScope, job: WorkflowJob, tests: list[FailedTest], into: JobAnalysis
) -> None:
    """Record what failed in the job (its tests, else its steps) and read their history."""
    failing = history.failing_of(job.name, tests, list(job.failed_steps))
    history.record(scope.db, scope.item, scope.context, job.name, failing)
    found = history.recurrences(
        scope.db,
        scope.item.repo_name,
        scope.context.branch,
        failing,
        scope.settings.ci_history_days,
    )
    into.history = [r.to_dict() for r in found]


def _stored(db: Database, ci_run_id: int, job_id: int) -> JobAnalysis | None:
    with db.session() as s:
        result = s.scalar(
            select(Analysis.result)
            .where(
                Analysis.ci_run_id == ci_run_id,
                Analysis.job_id == job_id,
                Analysis.result.is_not(None),
            )
            .order_by(Analysis.created_at.desc())
            .limit(1)
        )
    return JobAnalysis.from_dict(result) if isinstance(result, dict) else None


def _store(
    db: Database,
    item: CIRun,
    job: JobAnalysis,
    status: AnalysisStatus,
    started: float,
    *,
    error: str | None = None,
    size: float = 0.0,
    reduction_ms: int | None = None,
    tokens: tuple[int, int] = (0, 0),
    cost: float = 0.0,
) -> JobAnalysis:
    now = utcnow()
    with db.session() as s:
        s.add(
            Analysis(
                ci_run_id=item.id,
                job_id=job.job_id,
                job_name=job.job_name[:255],
                workflow_name=(item.workflow_name or "")[:255] or None,
                request_metadata={
                    "repo": item.repo_name,
                    "run_id": item.run_id,
                    "run_attempt": item.run_attempt,
                },
                logs_size_bytes=int(size * 1_048_576),
                status=status.value,
                mode="async",
                result=job.to_dict(),
                error_message=error,
                attempts=1,
                prompt_tokens=tokens[0],
                completion_tokens=tokens[1],
                api_cost_usd=cost,
                reduction_ms=reduction_ms,
                processing_duration_ms=int((time.perf_counter() - started) * 1000),
                started_at=now,
                completed_at=now,
            )
        )
    return job
