"""Sign in with GitHub (OAuth web flow with ``state``), local links, sign out.

``/dashboard/login`` sends the browser to GitHub with a random ``state`` that is also
sealed in a short-lived cookie; ``/dashboard/callback`` accepts GitHub's ``code`` only
with that same ``state`` (else 400), exchanges it for the user's token and opens a
session. ``/dashboard/local`` takes a one-time link of ``argus dashboard-token`` when
OAuth is not configured. ``POST /dashboard/logout`` (CSRF-checked) ends the session.
"""

from __future__ import annotations

import secrets
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from argusai.errors import GitHubError, TransientError
from argusai.web.dashboard import local_link
from argusai.web.dashboard.access import (
    DashboardState,
    current_session,
    dashboard_state,
)
from argusai.web.dashboard.forms import checked_form
from argusai.web.dashboard.render import HEADERS, message, page
from argusai.web.dashboard.session import (
    COOKIE,
    FLOW_COOKIE,
    FLOW_SECONDS,
    PATH,
    Session,
    same_secret,
)

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)
State = Annotated[DashboardState, Depends(dashboard_state)]
Text = Annotated[str | None, Query(max_length=512)]


def safe_next(value: str | None) -> str:
    """A path on the dashboard to go to after sign-in (never another site)."""
    if value and value.startswith(PATH) and "//" not in value and "\\" not in value:
        return value
    return PATH


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def open_session(request: Request, state: DashboardState, session: Session, to: str) -> Response:
    """Redirect to ``to`` with the new session's cookie."""
    response = _redirect(to)
    response.set_cookie(
        COOKIE,
        state.box.seal_session(session),
        max_age=state.box.max_age,
        path=PATH,
        httponly=True,
        secure=_secure(request),
        samesite="lax",  # sent on GitHub's redirect back (a top-level GET), not on POSTs
    )
    response.delete_cookie(FLOW_COOKIE, path=PATH)
    return response


@router.get("/dashboard/signin", response_class=HTMLResponse)
def signin_page(request: Request, state: State, next: Text = None, out: Text = None) -> Response:
    """The sign-in page: "Sign in with GitHub", or how to get a local link."""
    return page(
        request,
        "signin.html",
        {
            "viewer": None,
            "oauth": state.oauth is not None,
            "next": safe_next(next),
            "signed_out": out is not None,
        },
    )


@router.get("/dashboard/login")
def login(request: Request, state: State, next: Text = None) -> Response:
    """Off to GitHub with a fresh ``state`` (kept, sealed, in a ten-minute cookie)."""
    if state.oauth is None:
        return message(
            request,
            "Sign-in with GitHub is not configured",
            "Set ARGUS_GITHUB_CLIENT_ID and ARGUS_GITHUB_CLIENT_SECRET, or use "
            "'argus dashboard-token' for a one-time local link.",
            status=404,
        )
    flow = secrets.token_urlsafe(24)
    redirect_uri = str(request.url_for("dashboard_callback"))
    response = _redirect(state.oauth.authorize_url(flow, redirect_uri))
    response.set_cookie(
        FLOW_COOKIE,
        state.box.seal({"state": flow, "next": safe_next(next)}),
        max_age=FLOW_SECONDS,
        path=PATH,
        httponly=True,
        secure=_secure(request),
        samesite="lax",
    )
    return response


@router.get("/dashboard/callback", name="dashboard_callback")
def callback(
    request: Request,
    state: State,
    code: Text = None,
    state_: Annotated[str | None, Query(alias="state", max_length=512)] = None,
    error: Text = None,
) -> Response:
    """GitHub's redirect back: the ``state`` must be ours, then the code becomes a session."""
    if state.oauth is None:
        return message(request, "Not configured", "Sign-in with GitHub is off.", status=404)
    flow = state.box.open(request.cookies.get(FLOW_COOKIE), FLOW_SECONDS)
    if flow is None or not same_secret(state_, str(flow.get("state", ""))):
        log.warning("dashboard.signin_bad_state")
        return message(
            request,
            "Sign-in failed",
            "This sign-in did not start here or took too long (state mismatch). Try again.",
            status=400,
        )
    if error or not code:
        return message(
            request, "Sign-in cancelled", "GitHub did not sign you in. Try again.", status=400
        )
    redirect_uri = str(request.url_for("dashboard_callback"))
    try:
        token = state.oauth.exchange(code, redirect_uri)
        access = state.oauth.access(token)
    except GitHubError as exc:
        log.warning("dashboard.signin_refused", error=str(exc))
        return message(request, "Sign-in failed", "GitHub refused the sign-in.", status=400)
    except TransientError as exc:
        log.warning("dashboard.signin_github_down", error=str(exc))
        return message(
            request, "GitHub did not answer", "Try signing in again in a moment.", status=503
        )
    session = Session.new(access.login, token=token)
    state.cache.put(session.sid, access)
    log.info("dashboard.signed_in", login=access.login, admin=state.is_admin(access.login))
    return open_session(request, state, session, safe_next(str(flow.get("next") or "")))


@router.get("/dashboard/local")
def local_signin(
    request: Request, state: State, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """A one-time link of ``argus dashboard-token``: an admin session (servers without OAuth)."""
    if state.oauth is not None:
        return message(
            request,
            "Local links are off",
            "This server signs in with GitHub; local links work only without OAuth.",
            status=404,
        )
    by = local_link.consume(state.settings.data_dir, token)
    if by is None:
        return message(
            request,
            "Link expired or used",
            "Run 'argus dashboard-token' again for a new link.",
            status=400,
        )
    log.info("dashboard.signed_in_locally", by=by)
    return open_session(request, state, Session.new(by, local=True), PATH)


@router.post("/dashboard/logout")
async def logout(request: Request, state: State) -> Response:
    """Sign out (a form with the CSRF token): the cookie goes, the cached access too."""
    session = current_session(request)
    if session is not None:
        await checked_form(request, session.csrf)
        state.cache.forget(session.sid)
    response = _redirect(f"{PATH}/signin?out=1")
    response.delete_cookie(COOKIE, path=PATH)
    return response
