"""One CI run attempt, end to end: jobs in, explanations, one comment per PR, one check run.

Order matters for "nothing doubled, nothing stale": explanations are stored as they are
made; right before posting the lease and the absence of a newer attempt are checked;
the comment and the check run are found again on GitHub before anything is created.
"""

from __future__ import annotations

from typing import Any

import structlog

from argusai.ci import history, runs
from argusai.ci.format import (
    JobAnalysis,
    RunInfo,
    check_output,
    failure_comment,
    passed_comment,
)
from argusai.ci.jobs import MAX_JOBS_PER_RUN, RunScope, analyse_job, failed_jobs
from argusai.ci.logcache import DIRECTORY as CACHE_DIRECTORY
from argusai.ci.logcache import LogCache
from argusai.ci.models import CIRun
from argusai.ci.passing import PassingRuns
from argusai.ci.post import upsert_check_run, upsert_comment
from argusai.errors import Superseded
from argusai.github.port import CheckRunOutput, GitHubRepoClient
from argusai.runtime import Runtime
from argusai.store.models import ReviewStatus

log = structlog.get_logger(__name__)


def run_info(item: CIRun) -> RunInfo:
    """The run attempt as the formatter sees it."""
    meta = item.pr_numbers or {}
    return RunInfo(
        run_id=item.run_id,
        attempt=item.run_attempt,
        workflow_name=item.workflow_name,
        head_sha=item.head_sha or "",
        conclusion=item.conclusion or "failure",
        html_url=meta.get("html_url") if isinstance(meta.get("html_url"), str) else None,
    )


def pr_numbers(item: CIRun) -> list[int]:
    """The pull requests the run belongs to (may be none)."""
    numbers = (item.pr_numbers or {}).get("numbers") or []
    return [int(n) for n in numbers if isinstance(n, int)]


def process_ci_run(rt: Runtime, item: CIRun, owner: str) -> None:
    """Explain a failed attempt (or mark a passing re-run) and post it; raises the outcome."""
    gh = rt.github.for_installation(item.installation_id)
    if item.conclusion == "success":
        _process_passed(rt, gh, item, owner)
        return
    repo_owner, repo = item.repo_name.split("/", 1)
    jobs = failed_jobs(gh.list_run_attempt_jobs(repo_owner, repo, item.run_id, item.run_attempt))

    def still_ours() -> bool:
        return runs.holds(rt.db, item.id, owner)

    context = runs.run_context(item)
    scope = RunScope(
        rt.db,
        rt.llm,
        rt.settings,
        gh,
        item,
        context,
        _passing_runs(rt, gh, item, context),
        still_ours,
        rt.redactor,
    )
    analyses = [analyse_job(scope, job) for job in jobs[:MAX_JOBS_PER_RUN]]
    skipped = len(jobs) - len(analyses)
    info = run_info(item)
    _last_look(rt, item, owner)
    body = failure_comment(info, analyses, skipped=skipped, redactor=rt.redactor)
    comments: dict[str, Any] = {}
    for number in pr_numbers(item):
        comments[str(number)] = upsert_comment(gh, repo_owner, repo, number, item.run_id, body)
    check_id = _check_and_finish(
        rt,
        gh,
        item,
        owner,
        info,
        check_output(info, analyses, redactor=rt.redactor),
        comments,
        result={"jobs": [a.to_dict() for a in analyses], "skipped": skipped},
    )
    log.info(
        "ci.analysis_posted",
        jobs=len(analyses),
        skipped=skipped,
        comments=len(comments),
        check_run_id=check_id,
    )


def _passing_runs(
    rt: Runtime, gh: GitHubRepoClient, item: CIRun, context: runs.RunContext
) -> PassingRuns | None:
    """The finder of the jobs' last passing runs (None when comparing is switched off)."""
    settings = rt.settings
    if not settings.ci_compare_passing:
        return None
    cache = LogCache(settings.data_dir / CACHE_DIRECTORY, settings.ci_passing_log_cache_mb << 20)
    return PassingRuns(gh, item, context, cache=cache, max_log_bytes=settings.ci_max_log_bytes)


def _process_passed(rt: Runtime, gh: GitHubRepoClient, item: CIRun, owner: str) -> None:
    """A run of a commit that had failed passed: the jobs that failed before and pass now
    were flaky; a re-run's comment and check run say it passed."""
    repo_owner, repo = item.repo_name.split("/", 1)
    now = gh.list_run_attempt_jobs(repo_owner, repo, item.run_id, item.run_attempt)
    flaky = history.mark_passed(rt.db, item, {j.name for j in now if j.conclusion == "success"})
    log.info("ci.passed_on_rerun", failures_marked_flaky=flaky)
    earlier = next(
        (
            r
            for r in runs.earlier_attempts(rt.db, item)
            if r.status == ReviewStatus.DONE.value and r.result and r.conclusion != "success"
        ),
        None,
    )
    if earlier is None:
        runs.finish(
            rt.db,
            item.id,
            owner,
            error="nothing to update: no earlier attempt of this run was analysed",
            result={"passed": True, "flaky": flaky},
        )
        log.info("ci.passed_without_earlier_analysis")
        return
    info = run_info(item)
    jobs = [JobAnalysis.from_dict(j) for j in (earlier.result or {}).get("jobs", [])]
    _last_look(rt, item, owner)
    body = passed_comment(info, jobs, earlier.run_attempt, redactor=rt.redactor)
    numbers = sorted({*pr_numbers(item), *(int(n) for n in (earlier.comment_ids or {}))})
    comments: dict[str, Any] = {}
    for number in numbers:
        found = upsert_comment(gh, repo_owner, repo, number, item.run_id, body, create=False)
        if found is not None:
            comments[str(number)] = found
    _check_and_finish(
        rt,
        gh,
        item,
        owner,
        info,
        check_output(info, jobs, passed=True, redactor=rt.redactor),
        comments,
        result={"passed": True, "earlier_attempt": earlier.run_attempt, "flaky": flaky},
    )
    log.info("ci.rerun_passed_posted", comments=len(comments), earlier=earlier.run_attempt)


def _check_and_finish(
    rt: Runtime,
    gh: GitHubRepoClient,
    item: CIRun,
    owner: str,
    info: RunInfo,
    output: tuple[str, str],
    comments: dict[str, Any],
    *,
    result: dict[str, Any],
) -> int:
    """Create or update our check run, then close the item as done; returns the check id."""
    repo_owner, repo = item.repo_name.split("/", 1)
    title, summary = output
    check_id = upsert_check_run(
        gh,
        repo_owner,
        repo,
        head_sha=info.head_sha,
        run_id=item.run_id,
        output=CheckRunOutput(title=title, summary=summary),
        details_url=info.html_url,
    )
    runs.finish(
        rt.db,
        item.id,
        owner,
        check_run_id=check_id,
        comment_ids=comments,
        result=result,
    )
    return check_id


def _last_look(rt: Runtime, item: CIRun, owner: str) -> None:
    """Before anything becomes visible: still ours, and no newer attempt of the run."""
    if not runs.holds(rt.db, item.id, owner):
        raise Superseded("superseded, or the lease was taken over")
    newer = runs.newer_attempt(rt.db, item)
    if newer is not None:
        raise Superseded(f"attempt {newer} of this run is newer")
