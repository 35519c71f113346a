"""Who is looking: the session, admin or not, and the repositories they may see.

An admin (``ARGUS_ADMIN_LOGINS``, or whoever used a local sign-in link) sees everything
and may retry or pause. Anyone else sees the repositories GitHub says their token can
reach through this App's installations; that list is asked again after
``ARGUS_DASHBOARD_ACCESS_TTL_SECONDS`` (kept in this process meanwhile, by session), so a
user removed from a repository on GitHub stops seeing it within minutes, and a revoked
token ends the session.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from fastapi import Request

from argusai.errors import GitHubError, TransientError
from argusai.github.oauth import GitHubOAuth, UserAccess
from argusai.settings import Settings
from argusai.web.dashboard.forms import Refused
from argusai.web.dashboard.session import COOKIE, CookieBox, Session, now, session_key

MAX_CACHED = 4096


@dataclass(frozen=True)
class Viewer:
    """The signed-in visitor of one request."""

    login: str
    admin: bool
    csrf: str
    local: bool
    #: lower-case ``owner/name`` the viewer may see; None: every repository (admins)
    repositories: frozenset[str] | None
    truncated: bool = False

    def sees(self, repo_name: str) -> bool:
        """True when ``repo_name`` is one of the viewer's repositories."""
        return self.repositories is None or repo_name.lower() in self.repositories

    @property
    def actor(self) -> str:
        """How the audit log names this viewer."""
        return f"local:{self.login}" if self.local else f"github:{self.login}"


class SignInRequired(Exception):
    """No valid session: the visitor is sent to the sign-in page."""


class AccessCache:
    """What each session may see, for a short while, in this process (bounded)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, UserAccess]] = OrderedDict()

    def get(self, sid: str) -> UserAccess | None:
        """The cached access of session ``sid`` while fresh."""
        with self._lock:
            entry = self._entries.get(sid)
            if entry is None or entry[0] <= now():
                self._entries.pop(sid, None)
                return None
            return entry[1]

    def put(self, sid: str, access: UserAccess) -> None:
        """Remember ``access`` for ``ttl`` seconds (the oldest entries go past the cap)."""
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries[sid] = (now() + self.ttl, access)
            self._entries.move_to_end(sid)
            while len(self._entries) > MAX_CACHED:
                self._entries.popitem(last=False)

    def forget(self, sid: str) -> None:
        """Drop the session's entry (sign-out)."""
        with self._lock:
            self._entries.pop(sid, None)


@dataclass
class DashboardState:
    """What the dashboard keeps for the app: settings, OAuth client, access cache, and the
    cookie box (made on first use: its key may mean writing ``<data_dir>/secret.key``)."""

    settings: Settings
    cache: AccessCache
    oauth: GitHubOAuth | None
    _box: CookieBox | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def box(self) -> CookieBox:
        """Seals and opens the dashboard's cookies."""
        with self._lock:
            if self._box is None:
                hours = self.settings.dashboard_session_hours
                self._box = CookieBox(session_key(self.settings), hours * 3600)
            return self._box

    def is_admin(self, login: str) -> bool:
        """True for a login in ``ARGUS_ADMIN_LOGINS`` (GitHub logins ignore case)."""
        return login.lower() in {a.lower() for a in self.settings.admin_logins}


def dashboard_state(request: Request) -> DashboardState:
    """The dashboard's state of the app serving ``request``."""
    state: DashboardState = request.app.state.argus_dashboard
    return state


def current_session(request: Request) -> Session | None:
    """The session in the request's cookie, or None."""
    return dashboard_state(request).box.open_session(request.cookies.get(COOKIE))


def viewer_of(state: DashboardState, session: Session) -> Viewer:
    """The viewer of ``session``: GitHub is asked what they can see when the cache is stale.

    SignInRequired when the token no longer works (revoked, expired) or sign-in with
    GitHub is not configured any more for a GitHub session.
    """
    if session.local:
        if state.oauth is not None:  # local links are for servers without OAuth
            raise SignInRequired
        return Viewer(session.login, True, session.csrf, True, None)
    if state.oauth is None or session.token is None:
        raise SignInRequired
    access = state.cache.get(session.sid)
    if access is None:
        try:
            access = state.oauth.access(session.token)
        except GitHubError as exc:
            if exc.status in (401, 403):
                raise SignInRequired from None
            raise Refused(502, "GitHub refused to say what you may see: sign in again.") from None
        except TransientError:
            raise Refused(503, "GitHub did not answer: try again in a moment.") from None
        state.cache.put(session.sid, access)
    admin = state.is_admin(access.login)
    repositories = None if admin else access.repositories
    return Viewer(access.login, admin, session.csrf, False, repositories, access.truncated)


def require_viewer(request: Request) -> Viewer:
    """FastAPI dependency: the viewer, or SignInRequired (→ the sign-in page)."""
    session = current_session(request)
    if session is None:
        raise SignInRequired
    return viewer_of(dashboard_state(request), session)
