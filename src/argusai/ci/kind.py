"""Failed workflow runs on GitHub as a kind of work: explain the attempt, or close it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argusai.ci.alerts import ci_run_closed
from argusai.ci.models import CIRun
from argusai.ci.runs import CI_RUNS
from argusai.errors import GitHubRateLimited
from argusai.limits.policy import limits_for
from argusai.runtime import Runtime
from argusai.workq.kinds import Claimed, Wait, WorkKind

CI_RUN = "ci_run"


def ci_run_kind(get_runtime: Callable[[], Runtime]) -> WorkKind:
    """The ``ci_run`` kind: admitted per installation as reviews are (one budget of work
    started per installation and minute, GitHub's pauses respected)."""

    def handle(item: Claimed) -> None:
        from argusai.ci.process import process_ci_run

        process_ci_run(get_runtime(), item.row, item.owner)

    def admit(row: CIRun) -> Wait | None:
        return limits_for(get_runtime().settings).admit_review(row.installation_id)

    def wait_delay(row: CIRun, exc: BaseException, default: float) -> float:
        if isinstance(exc, GitHubRateLimited):
            paused = limits_for(get_runtime().settings).pauses.remaining(row.installation_id)
            return max(default, paused)
        return default

    return WorkKind(
        name=CI_RUN,
        table=CI_RUNS,
        handle=handle,
        describe=_describe,
        context=_context,
        admit=admit,
        wait_delay=wait_delay,
        closed=ci_run_closed(get_runtime),  # notifications: an explanation was posted
    )


def _describe(row: CIRun) -> str:
    return f"{row.repo_name} run {row.run_id}/{row.run_attempt}"


def _context(row: CIRun) -> dict[str, Any]:
    return {
        "repo": row.repo_name,
        "run_id": row.run_id,
        "run_attempt": row.run_attempt,
        "installation_id": row.installation_id,
        "delivery_id": row.delivery_id,
    }
