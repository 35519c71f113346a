"""What an admin may do from the dashboard: retry a dead letter, pause or resume a PR.

Each is a POSTed form carrying the session's CSRF token (checked first: 403), then the
admin check (403), then the same code path as the CLI (``WorkQueue.retry_dead``, the
conversation's ``set_paused``), and one row in the operator audit log.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from argusai.review.conversation.state import set_paused
from argusai.runtime import Runtime
from argusai.store import audit
from argusai.web.dashboard.access import (
    SignInRequired,
    Viewer,
    current_session,
    dashboard_state,
    viewer_of,
)
from argusai.web.dashboard.forms import Refused, checked_form
from argusai.web.dashboard.render import HEADERS
from argusai.web.dashboard.session import PATH

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]


async def _admin_form(request: Request) -> tuple[Viewer, dict[str, str]]:
    """The viewer and the form: CSRF token first (403), then admin rights (403)."""
    session = current_session(request)
    if session is None:
        raise SignInRequired
    fields = await checked_form(request, session.csrf)
    viewer = await run_in_threadpool(viewer_of, dashboard_state(request), session)
    if not viewer.admin:
        log.warning("dashboard.refused", login=viewer.login, path=request.url.path)
        raise Refused(403, "Only the server's admins (ARGUS_ADMIN_LOGINS) may do this.")
    return viewer, fields


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.argus.runtime
    return runtime


@router.post("/dashboard/work/retry")
async def retry(request: Request) -> Response:
    """Queue a dead letter's item again with a fresh retry budget (``argus jobs retry``)."""
    viewer, fields = await _admin_form(request)
    kind, item_id = fields.get("kind", ""), fields.get("item_id", "")[:64]
    rt = _runtime(request)

    def run() -> str | None:
        queue = rt.queue
        if kind not in queue.registry.names():
            raise Refused(400, f"Unknown kind of work: {kind[:40]!r}.")
        if not queue.retry_dead(kind, item_id):
            status = queue.status(kind, item_id)
            return "does not exist" if status is None else f"is {status}, not failed"
        audit.write(
            rt.db, "jobs.retry", f"{kind} {item_id}", {"via": "dashboard"}, actor=viewer.actor
        )
        return None

    problem = await run_in_threadpool(run)
    if problem is not None:
        raise Refused(409, f"{kind} {item_id} {problem}: nothing to retry.")
    log.info("dashboard.retried", kind=kind, job_id=item_id, login=viewer.login)
    return RedirectResponse(
        f"{PATH}/work?retried={quote(f'{kind} {item_id}')}", status_code=303, headers=HEADERS
    )


@router.post("/dashboard/repositories/{owner}/{name}/pulls/{number}/pause")
async def pause(
    request: Request,
    owner: Name,
    name: Name,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """Pause (``paused=1``) or resume (``paused=0``) automatic reviews of a pull request."""
    viewer, fields = await _admin_form(request)
    paused = fields.get("paused") == "1"
    full = f"{owner}/{name}"
    rt = _runtime(request)

    def run() -> None:
        if set_paused(rt.db, full, number, paused, viewer.actor):
            action = "pr.pause" if paused else "pr.resume"
            audit.write(rt.db, action, f"{full}#{number}", {"via": "dashboard"}, actor=viewer.actor)

    await run_in_threadpool(run)
    return RedirectResponse(
        f"{PATH}/repositories/{full}/pulls/{number}", status_code=303, headers=HEADERS
    )
