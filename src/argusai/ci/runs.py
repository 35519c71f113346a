"""The CI run work item's state machine in the database (``ci_runs``), as reviews do it.

queued → running → done | failed | superseded. One row per repository, run id and attempt;
a claim is one atomic UPDATE under a lease owner, so a message delivered twice runs once;
a newer attempt of the same run supersedes older queued or running ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from argusai.ci.models import CIRun
from argusai.store.db import Database
from argusai.store.models import (
    ACTIVE_STATUSES,
    ReviewStatus,
    utcnow,
)
from argusai.workq import items
from argusai.workq.table import WorkTable

#: CI runs on the one work queue
CI_RUNS = WorkTable(CIRun)


def holds(db: Database, ci_run_id: int, owner: str) -> bool:
    """True while ``owner`` still runs this item (not superseded, lease not taken over)."""
    return items.holds(db, CI_RUNS, ci_run_id, owner)


def finish(
    db: Database, ci_run_id: int, owner: str, *, error: str | None = None, **values: Any
) -> bool:
    """Close a running CI run as done with its ``values`` (only while ``owner`` holds it)."""
    return items.finish(db, CI_RUNS, ci_run_id, owner, "done", error=error, **values)


@dataclass(frozen=True)
class CIRequest:
    """What a ``workflow_run.completed`` delivery asks for: explain (or close) this attempt."""

    installation_id: int
    repo_name: str
    run_id: int
    run_attempt: int
    workflow_name: str | None
    head_sha: str
    conclusion: str
    pr_numbers: tuple[int, ...]
    html_url: str | None = None
    workflow_id: int | None = None
    head_branch: str | None = None
    base_ref: str | None = None  # the base branch of the run's pull request
    event: str | None = None


@dataclass(frozen=True)
class RunContext:
    """Where a run attempt ran, as its delivery said (kept in the row's ``pr_numbers`` JSON)."""

    workflow_id: int | None
    head_branch: str | None
    base_ref: str | None
    event: str | None

    @property
    def branch(self) -> str | None:
        """The branch the run is judged against: the PR's base, else the branch it ran on."""
        return self.base_ref or self.head_branch


def run_context(item: CIRun) -> RunContext:
    """The row's run context (None for what an older row did not record)."""
    meta = item.pr_numbers or {}

    def text(key: str) -> str | None:
        value = meta.get(key)
        return value if isinstance(value, str) and value else None

    workflow_id = meta.get("workflow_id")
    return RunContext(
        workflow_id=workflow_id if isinstance(workflow_id, int) else None,
        head_branch=text("head_branch"),
        base_ref=text("base_ref"),
        event=text("event"),
    )


def failed_before(s: Session, repo_name: str, head_sha: str) -> bool:
    """Whether some run of this commit failed (a later passing run then says "flaky")."""
    found = s.scalar(
        select(CIRun.id)
        .where(
            CIRun.repo_name == repo_name,
            CIRun.head_sha == head_sha,
            CIRun.conclusion != "success",
        )
        .limit(1)
    )
    return found is not None


def create_run(s: Session, delivery_id: str, request: CIRequest) -> int | None:
    """Queue this attempt (superseding older active attempts of the run); None if known."""
    known = s.scalar(
        select(CIRun.id).where(
            CIRun.repo_name == request.repo_name,
            CIRun.run_id == request.run_id,
            CIRun.run_attempt == request.run_attempt,
        )
    )
    if known is not None:
        return None
    s.execute(
        update(CIRun)
        .where(
            CIRun.repo_name == request.repo_name,
            CIRun.run_id == request.run_id,
            CIRun.run_attempt < request.run_attempt,
            CIRun.status.in_(ACTIVE_STATUSES),
        )
        .values(
            status=ReviewStatus.SUPERSEDED.value,
            completed_at=utcnow(),
            error_message="superseded by a newer attempt",
            lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    row = CIRun(
        delivery_id=delivery_id,
        installation_id=request.installation_id,
        repo_name=request.repo_name,
        run_id=request.run_id,
        run_attempt=request.run_attempt,
        workflow_name=request.workflow_name,
        head_sha=request.head_sha,
        conclusion=request.conclusion,
        pr_numbers={
            "numbers": list(request.pr_numbers),
            "html_url": request.html_url,
            "workflow_id": request.workflow_id,
            "head_branch": request.head_branch,
            "base_ref": request.base_ref,
            "event": request.event,
        },
        status=ReviewStatus.QUEUED.value,
        dispatched_at=utcnow(),  # the endpoint dispatches next (and un-marks on failure)
    )
    s.add(row)
    s.flush()
    return row.id


def newer_attempt(db: Database, item: CIRun) -> int | None:
    """The highest later attempt of the same run recorded, if any."""
    with db.session() as s:
        return s.scalar(
            select(CIRun.run_attempt)
            .where(
                CIRun.repo_name == item.repo_name,
                CIRun.run_id == item.run_id,
                CIRun.run_attempt > item.run_attempt,
            )
            .order_by(CIRun.run_attempt.desc())
            .limit(1)
        )


def earlier_attempts(db: Database, item: CIRun) -> list[CIRun]:
    """Earlier attempts of the same run, newest first (their check run and comment ids)."""
    with db.session() as s:
        rows = list(
            s.scalars(
                select(CIRun)
                .where(
                    CIRun.repo_name == item.repo_name,
                    CIRun.run_id == item.run_id,
                    CIRun.run_attempt < item.run_attempt,
                )
                .order_by(CIRun.run_attempt.desc())
            )
        )
        s.expunge_all()
        return rows


def get_run(db: Database, ci_run_id: int) -> CIRun | None:
    """Load one CI run row (detached)."""
    with db.session() as s:
        row = s.get(CIRun, ci_run_id)
        if row is not None:
            s.expunge(row)
        return row
