"""The dashboard's pages: overview, repositories (with pull requests), work, CI, scout, audit.

Every page needs a session (else the sign-in page); work and audit are for admins, and
every other page shows only the viewer's repositories.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from argusai.runtime import Runtime
from argusai.scout.models import ScoutIssue, ScoutRepository
from argusai.stats.period import Period
from argusai.stats.scout import scout_runs, scout_summary
from argusai.store import audit
from argusai.web.dashboard import drilldown, figures, work
from argusai.web.dashboard.access import Viewer, require_viewer
from argusai.web.dashboard.charts import bar_chart, duration, money, percent
from argusai.web.dashboard.forms import Refused
from argusai.web.dashboard.render import message, page

router = APIRouter(include_in_schema=False)
Seen = Annotated[Viewer, Depends(require_viewer)]
Days = Annotated[int, Query(ge=1, le=365)]
Name = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}$")]
PERIODS = (7, 30, 90)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.argus.runtime
    return runtime


def _admin(viewer: Viewer) -> None:
    if not viewer.admin:
        raise Refused(403, "Only the server's admins (ARGUS_ADMIN_LOGINS) see this page.")


def _common(viewer: Viewer, section: str, days: int | None = None) -> dict[str, object]:
    return {"viewer": viewer, "section": section, "days": days, "periods": PERIODS}


@router.get("/dashboard", response_class=HTMLResponse)
def overview(request: Request, viewer: Seen, days: Days = 30) -> Response:
    """Reviews per day, time to review, cost per day, acceptance, dead letters now."""
    period = Period.last(days)
    data = figures.overview(
        _runtime(request).db, period, viewer.repositories, show_dead=viewer.admin
    )
    labels = [d.date.strftime("%m-%d") for d in data.days]
    charts = [
        bar_chart(
            "reviews",
            "Reviews per day",
            list(zip(labels, [float(d.reviews) for d in data.days], strict=True)),
            fmt=lambda v: f"{v:g}",
        ),
        bar_chart(
            "time",
            "Average time to review per day",
            list(zip(labels, [float(d.avg_ms or 0) for d in data.days], strict=True)),
            fmt=duration,
        ),
        bar_chart(
            "cost",
            "LLM cost per day",
            list(zip(labels, [d.cost_usd for d in data.days], strict=True)),
            fmt=money,
        ),
        bar_chart(
            "acceptance",
            "Acceptance of that day's findings",
            list(zip(labels, [d.acceptance_rate or 0.0 for d in data.days], strict=True)),
            fmt=percent,
            top=1.0,
        ),
    ]
    return page(
        request, "overview.html", {**_common(viewer, "overview", days), "o": data, "charts": charts}
    )


@router.get("/dashboard/repositories", response_class=HTMLResponse)
def repositories(request: Request, viewer: Seen, days: Days = 30) -> Response:
    """Each repository the viewer sees: reviews, findings, acceptance, cost."""
    db = _runtime(request).db
    period = Period.last(days)
    rows = figures.repositories(db, period, viewer.repositories)
    reviewed = {r.repo_name for r in rows}
    quiet = [n for n in figures.known_repositories(db, viewer.repositories) if n not in reviewed]
    return page(
        request,
        "repositories.html",
        {
            **_common(viewer, "repositories", days),
            "rows": rows,
            "quiet": quiet,
            "acceptance": figures.acceptance(db, period, viewer.repositories),
        },
    )


def _visible(viewer: Viewer, owner: str, name: str) -> str:
    full = f"{owner}/{name}"
    if not viewer.sees(full):
        # the same answer as for a repository that does not exist: names are not confirmed
        raise Refused(404, f"No repository {full} here.")
    return full


@router.get("/dashboard/repositories/{owner}/{name}", response_class=HTMLResponse)
def repository(request: Request, viewer: Seen, owner: Name, name: Name) -> Response:
    """A repository's reviewed pull requests."""
    full = _visible(viewer, owner, name)
    rows = drilldown.pulls(_runtime(request).db, full)
    return page(
        request,
        "repository.html",
        {**_common(viewer, "repositories"), "repo": full, "pulls": rows},
    )


@router.get("/dashboard/repositories/{owner}/{name}/pulls/{number}", response_class=HTMLResponse)
def pull(
    request: Request,
    viewer: Seen,
    owner: Name,
    name: Name,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    """One pull request: its reviews, its findings with their outcomes."""
    full = _visible(viewer, owner, name)
    detail = drilldown.pull(_runtime(request).db, full, number)
    if detail is None:
        return message(
            request, "Not found", f"No review of {full}#{number}.", status=404, viewer=viewer
        )
    return page(request, "pull.html", {**_common(viewer, "repositories"), "pr": detail})


@router.get("/dashboard/work", response_class=HTMLResponse)
def work_page(
    request: Request, viewer: Seen, retried: Annotated[str | None, Query()] = None
) -> Response:
    """Queues by kind (depth, oldest item, running, failed) and dead letters to retry."""
    _admin(viewer)
    queue = _runtime(request).queue
    return page(
        request,
        "work.html",
        {
            **_common(viewer, "work"),
            "kinds": work.kinds(queue),
            "dead": work.dead_letters(queue),
            "retried": (retried or "")[:120],
        },
    )


@router.get("/dashboard/ci", response_class=HTMLResponse)
def ci(request: Request, viewer: Seen, days: Days = 30) -> Response:
    """CI failures explained, per repository and per failure category."""
    data = figures.ci(_runtime(request).db, Period.last(days), viewer.repositories)
    return page(request, "ci.html", {**_common(viewer, "ci", days), "ci": data})


@router.get("/dashboard/scout", response_class=HTMLResponse)
def scout(request: Request, viewer: Seen, days: Days = 30) -> Response:
    """Crawl runs and the catalogue's size (public repositories: every viewer sees them)."""
    db = _runtime(request).db
    period = Period.last(days)
    with db.session() as s:
        size = {
            "repositories": s.scalar(select(func.count()).select_from(ScoutRepository)) or 0,
            "open_issues": s.scalar(
                select(func.count()).select_from(ScoutIssue).where(ScoutIssue.state == "open")
            )
            or 0,
            "analysed": s.scalar(
                select(func.count())
                .select_from(ScoutIssue)
                .where(ScoutIssue.state == "open", ScoutIssue.processing_status == "completed")
            )
            or 0,
        }
    return page(
        request,
        "scout.html",
        {
            **_common(viewer, "scout", days),
            "summary": scout_summary(db, period),
            "runs": scout_runs(db, period),
            "size": size,
        },
    )


@router.get("/dashboard/audit", response_class=HTMLResponse)
def audit_page(request: Request, viewer: Seen) -> Response:
    """Operator actions, newest first (CLI and dashboard)."""
    _admin(viewer)
    entries = audit.recent(_runtime(request).db, limit=200)
    return page(request, "audit.html", {**_common(viewer, "audit"), "entries": entries})
