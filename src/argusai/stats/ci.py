"""Questions about the CI agent on GitHub: runs explained, per repository, per failure
category, time to explanation (the workflow run's webhook → the comment posted).

A failed run attempt belongs to the period in which its item finished. The failure
category of an explained job is what the log lines its explanation quotes as evidence
are, by the reducer's own rules (``cilog.patterns.classify``: ``assertion``,
``exception``, ``timeout``, ``oom``, ``compile-error`` …): the stored analysis keeps no
category of its own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, not_, or_, select

from argusai.ci.models import CIRun
from argusai.cilog.models import Analysis, AnalysisStatus
from argusai.cilog.patterns import classify
from argusai.stats.period import Period
from argusai.stats.sql import (
    as_int,
    count_if,
    elapsed_ms,
    percentiles_by_key,
    percentiles_overall,
    ranked,
    total,
)
from argusai.store.db import Database
from argusai.store.models import ReviewStatus

NOT_EXPLAINED = "not explained"  # no usable answer: log gone, too large, answer unusable
UNCLASSIFIED = "other"  # explained, but its evidence matches no rule
_DONE, _FAILED = ReviewStatus.DONE.value, ReviewStatus.FAILED.value


def _finished(period: Period, repo: str | None) -> list[Any]:
    where = [
        CIRun.completed_at >= period.since,
        CIRun.completed_at < period.until,
        CIRun.status.in_([_DONE, _FAILED]),
        or_(
            CIRun.error_message.is_(None),
            not_(CIRun.error_message.startswith("skipped:", autoescape=True)),
        ),
    ]
    if repo is not None:
        where.append(CIRun.repo_name == repo)
    return where


@dataclass(frozen=True)
class CIStats:
    """Failed workflow runs of one repository (``repo_name``) or all (None)."""

    repo_name: str | None
    explained: int  # failed run attempts whose comment was posted
    failed: int  # run attempts given up on (retries exhausted)
    passed_reruns: int  # re-runs that passed: the earlier comment rewritten
    jobs_explained: int
    jobs_not_explained: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    p50_ms: int | None  # time to explanation
    p95_ms: int | None


def _stats(db: Database, period: Period, repo: str | None, by_repo: bool) -> list[CIStats]:
    where = _finished(period, repo)
    failure = CIRun.conclusion != "success"
    explained = and_(CIRun.status == _DONE, failure)
    keys = [CIRun.repo_name] if by_repo else []
    runs = (
        select(
            *keys,
            count_if(explained),
            count_if(CIRun.status == _FAILED),
            count_if(and_(CIRun.status == _DONE, CIRun.conclusion == "success")),
        )
        .where(*where)
        .group_by(*keys)
    )
    jobs = (
        select(
            *keys,
            count_if(Analysis.status == AnalysisStatus.COMPLETED.value),
            count_if(Analysis.status == AnalysisStatus.FAILED.value),
            total(Analysis.prompt_tokens),
            total(Analysis.completion_tokens),
            total(Analysis.api_cost_usd),
        )
        .join(CIRun, CIRun.id == Analysis.ci_run_id)
        .where(*where)
        .group_by(*keys)
    )
    times: dict[str | None, tuple[Any, ...]]
    job_rows: dict[str | None, tuple[Any, ...]]
    run_rows: list[tuple[Any, ...]]
    with db.session() as s:
        took = elapsed_ms(s.get_bind().dialect.name, CIRun.created_at, CIRun.completed_at)
        if by_repo:
            times = {
                k: tuple(v)
                for k, *v in s.execute(
                    percentiles_by_key(ranked(took, [*where, explained], CIRun.repo_name))
                )
            }
            job_rows = {k: tuple(v) for k, *v in s.execute(jobs)}
            run_rows = [(k, *v) for k, *v in s.execute(runs)]
        else:
            times = {
                None: tuple(s.execute(percentiles_overall(ranked(took, [*where, explained]))).one())
            }
            job_rows = {None: tuple(s.execute(jobs).one())}
            run_rows = [(None, *s.execute(runs).one())]
    out = []
    for key, n_explained, n_failed, n_passed in run_rows:
        done, undone, prompt, completion, cost = job_rows.get(key, (0, 0, 0, 0, 0.0))
        p50, p95 = times.get(key, (None, None))
        out.append(
            CIStats(
                key,
                int(n_explained),
                int(n_failed),
                int(n_passed),
                int(done),
                int(undone),
                int(prompt),
                int(completion),
                float(cost),
                as_int(p50),
                as_int(p95),
            )
        )
    out.sort(key=lambda c: (-(c.explained + c.failed), c.repo_name or ""))
    return out


def ci_summary(db: Database, period: Period, *, repo: str | None = None) -> CIStats:
    """Every failed run of the period (or of one repository) in one line."""
    return _stats(db, period, repo, by_repo=False)[0]


def ci_repositories(db: Database, period: Period, *, repo: str | None = None) -> list[CIStats]:
    """:func:`ci_summary` per repository, the most failed runs first."""
    return _stats(db, period, repo, by_repo=True)


def failure_category(result: dict[str, Any] | None) -> str:
    """The category of one analysed job (its stored ``result``): the kind of the most
    telling evidence line, :data:`NOT_EXPLAINED` or :data:`UNCLASSIFIED`."""
    explanation = (result or {}).get("explanation")
    if not isinstance(explanation, dict):
        return NOT_EXPLAINED
    best, weight = UNCLASSIFIED, 0.0
    for line in explanation.get("evidence") or []:
        found = classify(str(line))
        if found.weight > weight:
            best, weight = found.kind, found.weight
    return best


@dataclass(frozen=True)
class FailureCategory:
    """How many failed jobs of the period fell in one category."""

    category: str
    jobs: int
    repositories: int


def ci_failure_categories(
    db: Database, period: Period, *, repo: str | None = None
) -> list[FailureCategory]:
    """Failed jobs per failure category, most first."""
    query = (
        select(CIRun.repo_name, Analysis.result)
        .join(CIRun, CIRun.id == Analysis.ci_run_id)
        .where(*_finished(period, repo), CIRun.conclusion != "success")
    )
    jobs: Counter[str] = Counter()
    repos: dict[str, set[str]] = {}
    with db.session() as s:
        for name, result in s.execute(query):
            category = failure_category(result if isinstance(result, dict) else None)
            jobs[category] += 1
            repos.setdefault(category, set()).add(name)
    return [
        FailureCategory(category, n, len(repos[category]))
        for category, n in sorted(jobs.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
