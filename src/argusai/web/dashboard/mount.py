"""Mount the dashboard on the web app: its state, error pages, static files and routes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from argusai.github.oauth import GitHubOAuth
from argusai.settings import Settings
from argusai.web.dashboard import actions, experiments, pages, signin
from argusai.web.dashboard.access import AccessCache, DashboardState, SignInRequired
from argusai.web.dashboard.forms import Refused
from argusai.web.dashboard.render import HEADERS, STATIC_PATH, message

_HERE = Path(__file__).parent


def _state(settings: Settings) -> DashboardState:
    oauth = None
    if settings.dashboard_oauth() and settings.github_client_secret is not None:
        oauth = GitHubOAuth(
            web_url=settings.github_web_url,
            api_url=settings.github_api_url,
            client_id=str(settings.github_client_id),
            client_secret=settings.github_client_secret.get_secret_value(),
            api_version=settings.github_api_version,
        )
    return DashboardState(
        settings=settings,
        cache=AccessCache(settings.dashboard_access_ttl_seconds),
        oauth=oauth,
    )


async def _sign_in(request: Request, _exc: Exception) -> Response:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method != "GET":
        target = "/dashboard"
    root = request.scope.get("root_path", "")
    return RedirectResponse(
        f"{root}/dashboard/signin?next={quote(target, safe='')}", status_code=303, headers=HEADERS
    )


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    titles = {403: "Not allowed", 404: "Not found", 409: "Nothing to do"}
    return message(request, titles.get(exc.status, "Cannot do that"), exc.text, status=exc.status)


def install(app: FastAPI, settings: Settings) -> None:
    """Serve ``/dashboard`` (pages, sign-in, static files) on ``app``."""
    app.state.argus_dashboard = _state(settings)
    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(Refused, _refused)
    app.mount(STATIC_PATH, StaticFiles(directory=_HERE / "static"), name="dashboard_static")
    app.include_router(signin.router)
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.include_router(experiments.router)
