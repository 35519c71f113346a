"""What ``workflow_run`` deliveries ask of the CI explainer: explain (or close) an attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field

from argusai.ci.kind import CI_RUN
from argusai.ci.runs import CIRequest, create_run, failed_before
from argusai.core.payload import (
    MAX_ID,
    MAX_NAME,
    MAX_NUMBER,
    MAX_SHORT,
    InstalledEvent,
    Lenient,
    Repo,
    bounded_str,
)
from argusai.core.router import (
    Delivery,
    Ignored,
    Intent,
    OfRequest,
    Recorded,
    Work,
    parse_installed,
)

#: conclusions explained; a ``success`` is routed only for a re-run (attempt > 1)
CI_FAILED = ("failure", "timed_out")


class _RunRepo(Lenient):
    id: int | None = None


class _RunRef(Lenient):
    ref: str | None = Field(default=None, max_length=MAX_NAME)
    repo: _RunRepo | None = None


class _RunPR(Lenient):
    number: int = Field(gt=0, lt=MAX_NUMBER)
    base: _RunRef | None = None


class _Run(Lenient):
    id: int = Field(gt=0, lt=MAX_ID)
    run_attempt: int = Field(default=1, gt=0, lt=MAX_NUMBER)
    head_sha: str = Field(min_length=1, max_length=MAX_SHORT)
    conclusion: str | None = Field(default=None, max_length=MAX_SHORT)
    name: str | None = None
    html_url: str | None = Field(default=None, max_length=2048)
    pull_requests: list[_RunPR] = Field(default_factory=list)
    workflow_id: int | None = Field(default=None, gt=0, lt=MAX_ID)
    head_branch: str | None = Field(default=None, max_length=MAX_NAME)
    event: str | None = Field(default=None, max_length=MAX_SHORT)


class _RepoWithId(Repo):
    id: int | None = None


class _Workflow(Lenient):
    name: str | None = None


class WorkflowRunEvent(InstalledEvent):
    """The parts of a ``workflow_run`` payload the explainer needs."""

    action: str
    workflow_run: _Run
    repository: _RepoWithId
    workflow: _Workflow | None = None


@dataclass(frozen=True)
class CIIntent(OfRequest):
    """Explain (or, for a passing re-run, close) this attempt of a workflow run."""

    request: CIRequest
    creates_work: bool = True

    def record(self, session: Any, delivery_id: str) -> Recorded:
        """Queue the attempt (superseding older ones); nothing for a known attempt, nor for
        a first passing run of a commit none of whose runs failed."""
        req = self.request
        first_pass = req.conclusion == "success" and req.run_attempt == 1
        if first_pass and not failed_before(session, req.repo_name, req.head_sha):
            return Recorded(ignored="a passing run of a commit with no recorded failure")
        ci_run_id = create_run(session, delivery_id, self.request)
        if ci_run_id is None:
            return Recorded(ignored="this run attempt is already recorded")
        return Recorded(work=(Work(CI_RUN, ci_run_id),), fields={"ci_run_id": ci_run_id})


def workflow_run(delivery: Delivery) -> Intent:
    """A completed failed run (or a passing re-run) → a CI request; anything else ignored."""
    if delivery.action != "completed":
        return Ignored.of(delivery, f"{delivery.key}: only completed runs are analysed")
    parsed = parse_installed(delivery, WorkflowRunEvent)
    if isinstance(parsed, Ignored):
        return parsed
    ev, installation_id = parsed
    run = ev.workflow_run
    conclusion = run.conclusion or ""
    # a passing run is routed too: a re-run, or a later run of a commit that failed, tells
    # that the failure was flaky (CIIntent.record drops the others without creating work)
    if conclusion not in CI_FAILED and conclusion != "success":
        return Ignored.of(delivery, f"workflow run concluded {conclusion or 'nothing'}")
    repo_id = ev.repository.id
    # only PRs of this repository: a number from another one would land on the wrong PR
    ours = [
        pr
        for pr in run.pull_requests
        if repo_id is None
        or pr.base is None
        or pr.base.repo is None
        or pr.base.repo.id in (None, repo_id)
    ]
    numbers = tuple(sorted({pr.number for pr in ours}))
    base_ref = next((pr.base.ref for pr in ours if pr.base is not None and pr.base.ref), None)
    name = run.name or (ev.workflow.name if ev.workflow else None) or None
    return CIIntent(
        CIRequest(
            installation_id=installation_id,
            repo_name=ev.repository.full_name,
            run_id=run.id,
            run_attempt=run.run_attempt,
            workflow_name=bounded_str(name, MAX_NAME),
            head_sha=run.head_sha,
            conclusion=conclusion,
            pr_numbers=numbers[:20],
            html_url=run.html_url,
            workflow_id=run.workflow_id,
            head_branch=run.head_branch,
            base_ref=base_ref,
            event=run.event,
        )
    )
