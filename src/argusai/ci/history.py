"""What failed before, per repository: failing tests (or steps), and which passed on re-run.

Each failed job records its failing tests (named by ``ci.testnames``; the failed steps when
the log names no test). A passing run of the same commit — a re-run, or a later run —
marks the failures of the jobs that now passed as *passed on re-run*: flaky. A later failure
of the same test is then told how often it failed in the last days on its branch and how
often a re-run passed: "failed 4 times in the last 7 days on main, passed on re-run 2
times — likely flaky". Counts are of run attempts (a matrix failing one test in three jobs
is one failure).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, distinct, func, or_, select, update

from argusai.ci.models import CIFailure, CIRun
from argusai.ci.runs import RunContext
from argusai.ci.testnames import FailedTest
from argusai.store.db import Database
from argusai.store.models import utcnow

MAX_SHOWN = 5  # tests with a history named per job


@dataclass(frozen=True)
class Failing:
    """One thing that failed in a job: a test, or a step when no test was named."""

    kind: str  # test | step
    name: str
    runner: str | None = None


def failing_of(job_name: str, tests: list[FailedTest], steps: list[str]) -> list[Failing]:
    """What a failed job records: its tests, else its failed steps (named with the job)."""
    if tests:
        return [Failing("test", t.name, t.runner) for t in tests]
    return [Failing("step", f"{job_name} › {step}"[:500]) for step in steps or ["(job)"]]


def record(
    db: Database, item: CIRun, context: RunContext, job_name: str, failing: list[Failing]
) -> None:
    """Store the job's failures for this run attempt (once: a retry adds nothing)."""
    with db.session() as s:
        known = set(
            s.scalars(
                select(CIFailure.name).where(
                    CIFailure.ci_run_id == item.id, CIFailure.job_name == job_name[:255]
                )
            )
        )
        for f in failing:
            if f.name in known:
                continue
            known.add(f.name)
            s.add(
                CIFailure(
                    ci_run_id=item.id,
                    repo_name=item.repo_name,
                    branch=(context.branch or "")[:255] or None,
                    workflow_name=item.workflow_name,
                    job_name=job_name[:255],
                    kind=f.kind,
                    runner=f.runner,
                    name=f.name[:500],
                    head_sha=item.head_sha or "",
                    run_id=item.run_id,
                    run_attempt=item.run_attempt,
                )
            )


def mark_passed(db: Database, item: CIRun, passed_jobs: set[str]) -> int:
    """A run of ``item``'s commit passed these jobs: their earlier failures on the same
    commit passed on re-run. How many failures were marked."""
    if not passed_jobs or not item.head_sha:
        return 0
    earlier = or_(
        CIFailure.run_id < item.run_id,
        and_(CIFailure.run_id == item.run_id, CIFailure.run_attempt < item.run_attempt),
    )
    with db.session() as s:
        result = s.execute(
            update(CIFailure)
            .where(
                CIFailure.repo_name == item.repo_name,
                CIFailure.head_sha == item.head_sha,
                CIFailure.job_name.in_([j[:255] for j in passed_jobs]),
                CIFailure.passed_on_rerun_at.is_(None),
                earlier,
            )
            .values(
                passed_on_rerun_at=utcnow(),
                passed_run_id=item.run_id,
                passed_run_attempt=item.run_attempt,
            )
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class Recurrence:
    """How often one test (or step) failed lately, and how often a re-run then passed."""

    kind: str
    name: str
    failures: int
    passed_on_rerun: int
    days: int
    branch: str | None

    @property
    def flaky(self) -> bool:
        """It passed on re-run at least once."""
        return self.passed_on_rerun > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


def recurrences(
    db: Database, repo_name: str, branch: str | None, failing: list[Failing], days: int
) -> list[Recurrence]:
    """The history of ``failing`` on ``branch`` over ``days`` (this failure included): the
    ones that failed before or passed on re-run, flaky first, at most MAX_SHOWN."""
    if not failing:
        return []
    since = utcnow() - timedelta(days=days)
    names = [f.name[:500] for f in failing]
    query = (
        select(
            CIFailure.kind,
            CIFailure.name,
            func.count(distinct(CIFailure.ci_run_id)),
        )
        .where(
            CIFailure.repo_name == repo_name,
            CIFailure.name.in_(names),
            CIFailure.failed_at >= since,
        )
        .group_by(CIFailure.kind, CIFailure.name)
    )
    flaky_query = (
        select(CIFailure.name, func.count(distinct(CIFailure.ci_run_id)))
        .where(
            CIFailure.repo_name == repo_name,
            CIFailure.name.in_(names),
            CIFailure.failed_at >= since,
            CIFailure.passed_on_rerun_at.is_not(None),
        )
        .group_by(CIFailure.name)
    )
    if branch is not None:
        query = query.where(CIFailure.branch == branch)
        flaky_query = flaky_query.where(CIFailure.branch == branch)
    with db.session() as s:
        counts = {(k, n): int(c) for k, n, c in s.execute(query)}
        flaky = {n: int(c) for n, c in s.execute(flaky_query)}
    found = [
        Recurrence(kind, name, count, flaky.get(name, 0), days, branch)
        for (kind, name), count in counts.items()
        if count > 1 or flaky.get(name, 0) > 0
    ]
    found.sort(key=lambda r: (-r.passed_on_rerun, -r.failures, r.name))
    return found[:MAX_SHOWN]
