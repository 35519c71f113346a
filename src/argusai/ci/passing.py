"""The last passing run of a failed job: which run, its log (downloaded once), its templates.

Looked for, in this order, by the job's name:

1. an earlier attempt of the same run where the job passed (the same commit: what changed is
   the run, not the code);
2. the latest successful runs of the same workflow on the branch the run is judged against
   (its pull request's base, else the branch it ran on);
3. the latest successful runs on the pull request's own branch (its previous passing push).

A few runs of each are looked at (a job can be missing from a run: a matrix changed, a job
was skipped). GitHub's answers are kept for the whole run attempt, so its failed jobs share
them. Nothing found, or GitHub refusing: the job is explained as before, without comparison.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import structlog

from argusai.ci.logcache import LogCache
from argusai.ci.models import CIRun
from argusai.ci.runs import RunContext
from argusai.cilog.compare import Baseline
from argusai.errors import GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.github.port import GitHubRepoClient, WorkflowJob, WorkflowRun

log = structlog.get_logger(__name__)

RUNS_PER_BRANCH = 5  # successful runs listed per branch
RUNS_CHECKED = 3  # of which at most this many have their jobs listed


@dataclass(frozen=True)
class PassingJob:
    """A passing run of the failed job."""

    run_id: int
    attempt: int
    job_id: int
    html_url: str
    branch: str | None
    how: str  # "earlier attempt" | "base branch" | "pull request branch"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


class PassingRuns:
    """The passing runs of one failed run attempt's jobs (GitHub asked once per run)."""

    def __init__(
        self,
        gh: GitHubRepoClient,
        item: CIRun,
        context: RunContext,
        *,
        cache: LogCache,
        max_log_bytes: int,
    ) -> None:
        self.gh, self.item, self.context = gh, item, context
        self.owner, self.repo = item.repo_name.split("/", 1)
        self.cache, self.max_log_bytes = cache, max_log_bytes
        self._runs: dict[str, list[WorkflowRun]] = {}
        self._jobs: dict[tuple[int, int], list[WorkflowJob]] = {}
        self._workflow_id: int | None = context.workflow_id

    def _jobs_of(self, run_id: int, attempt: int) -> list[WorkflowJob]:
        key = (run_id, attempt)
        if key not in self._jobs:
            self._jobs[key] = self.gh.list_run_attempt_jobs(self.owner, self.repo, run_id, attempt)
        return self._jobs[key]

    def _workflow(self) -> int | None:
        if self._workflow_id is None:
            run = self.gh.get_workflow_run(self.owner, self.repo, self.item.run_id)
            self._workflow_id = run.workflow_id
        return self._workflow_id

    def _successful(self, branch: str) -> list[WorkflowRun]:
        if branch not in self._runs:
            workflow = self._workflow()
            runs = (
                self.gh.list_workflow_runs(
                    self.owner,
                    self.repo,
                    workflow,
                    branch=branch,
                    status="success",
                    limit=RUNS_PER_BRANCH,
                )
                if workflow is not None
                else []
            )
            self._runs[branch] = [r for r in runs if r.id != self.item.run_id]
        return self._runs[branch]

    def _passed(self, name: str, run_id: int, attempt: int) -> WorkflowJob | None:
        return next(
            (
                j
                for j in self._jobs_of(run_id, attempt)
                if j.name == name and j.conclusion == "success"
            ),
            None,
        )

    def find(self, job_name: str) -> PassingJob | None:
        """The passing run of the job called ``job_name`` to compare with, or None."""
        try:
            return self._find(job_name)
        except GitHubRateLimited:
            raise  # the whole item waits for the reset
        except (GitHubError, GitHubTransientError) as exc:
            log.info("ci.no_passing_run", job=job_name, error=str(exc)[:200])
            return None

    def _find(self, job_name: str) -> PassingJob | None:
        for attempt in range(self.item.run_attempt - 1, 0, -1):
            job = self._passed(job_name, self.item.run_id, attempt)
            if job is not None:
                return PassingJob(
                    self.item.run_id,
                    attempt,
                    job.id,
                    job.html_url,
                    self.context.head_branch,
                    "earlier attempt",
                )
        branches = [(self.context.branch, "base branch")]
        if self.context.head_branch and self.context.head_branch != self.context.branch:
            branches.append((self.context.head_branch, "pull request branch"))
        for branch, how in branches:
            if not branch:
                continue
            for run in self._successful(branch)[:RUNS_CHECKED]:
                job = self._passed(job_name, run.id, run.run_attempt)
                if job is not None:
                    return PassingJob(run.id, run.run_attempt, job.id, job.html_url, branch, how)
        return None

    def baseline(self, job_name: str) -> tuple[PassingJob, Baseline] | None:
        """The passing job and what its log printed (read from the cache, else downloaded
        once and kept), or None."""
        found = self.find(job_name)
        if found is None:
            return None
        repo = self.item.repo_name
        data = self.cache.get(repo, found.run_id, found.attempt, found.job_id)
        if data is None:
            data = self._download(found)
            if data is None:
                return None
            self.cache.put(repo, found.run_id, found.attempt, found.job_id, data)
        return found, Baseline.of(data)

    def _download(self, found: PassingJob) -> bytes | None:
        try:
            job_log = self.gh.download_job_log(
                self.owner, self.repo, found.job_id, max_bytes=self.max_log_bytes
            )
        except GitHubRateLimited:
            raise
        except (GitHubError, GitHubTransientError) as exc:
            log.info("ci.passing_log_unavailable", job_id=found.job_id, error=str(exc)[:200])
            return None
        if job_log.refused or not job_log.data:
            return None
        return job_log.data
