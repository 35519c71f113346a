"""Failed workflow runs on GitHub as a kind of work: explain the attempt, or close it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argusai.ci.alerts import ci_run_closed
from argusai.ci.models import CIRun
from argusai.ci.runs import CI_RUNS
from argusai.runtime import Runtime
from argusai.workq.kinds import Claimed, WorkKind

CI_RUN = "ci_run"


def ci_run_kind(get_runtime: Callable[[], Runtime]) -> WorkKind:
    """The ``ci_run`` kind."""

    def handle(item: Claimed) -> None:
        from argusai.ci.process import process_ci_run

        process_ci_run(get_runtime(), item.row, item.owner)

    return WorkKind(
        name=CI_RUN,
        table=CI_RUNS,
        handle=handle,
        describe=_describe,
        context=_context,
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
