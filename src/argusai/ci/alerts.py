"""What a finished CI run tells the notification channels: its failure was explained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argusai.ci.models import CIRun
from argusai.notify import events
from argusai.notify.emit import emit
from argusai.runtime import Runtime


def ci_run_closed(get_runtime: Callable[[], Runtime]) -> Callable[[Any, str], None]:
    """The ci_run kind's ``closed`` hook: emit ``ci_explained`` when an explanation was
    posted (not for a passing re-run, nor a run with nothing to explain)."""

    def closed(run_id: Any, outcome: str) -> None:
        if outcome != "done":
            return
        rt = get_runtime()
        with rt.db.session() as s:
            row = s.get(CIRun, int(run_id))
            if row is None or not row.result or "jobs" not in row.result:
                return
            event = events.ci_explained(
                web_url=events.github_web_url(rt.settings.github_api_url),
                repo=row.repo_name,
                run_id=row.run_id,
                attempt=row.run_attempt,
                workflow=row.workflow_name,
                prs=sorted(int(n) for n in (row.comment_ids or {})),
                jobs=len(row.result.get("jobs") or []),
                installation_id=row.installation_id,
            )
        emit(rt, event)

    return closed
