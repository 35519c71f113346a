"""The dashboard's experiments page (admins): each experiment's arms compared with the
figures of ``argus experiments show``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from argusai.review import experiments
from argusai.runtime import Runtime
from argusai.stats.experiments import MIN_DECIDED, arm_text, interval, pct, report
from argusai.web.dashboard.pages import Seen, _admin, _common
from argusai.web.dashboard.render import page

router = APIRouter(include_in_schema=False)


@router.get("/dashboard/experiments", response_class=HTMLResponse)
def experiments_page(request: Request, viewer: Seen) -> Response:
    """Every experiment, newest first, its arms side by side."""
    _admin(viewer)
    runtime: Runtime = request.app.state.argus.runtime
    reports = [report(runtime.db, row) for row in experiments.every(runtime.db)]
    return page(
        request,
        "experiments.html",
        {
            **_common(viewer, "experiments"),
            "reports": reports,
            "minimum": MIN_DECIDED,
            "arm_text": arm_text,
            "interval": interval,
            "pct": pct,
        },
    )
