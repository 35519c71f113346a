"""The dashboard's session cookie: signed, encrypted, timed, with a CSRF token inside.

One Fernet token (AES + HMAC-SHA256 with a timestamp, from ``cryptography``) holds the
session: who signed in, how, their user-to-server token and the CSRF token of the forms.
Signed, so it cannot be forged; encrypted, so the GitHub token in it is not readable by
whatever sees the cookie; timed, so a stolen cookie dies with the session. The key is
derived from the server's secret (``ARGUS_SECRET_KEY``, else ``<data_dir>/secret.key``),
never the secret itself: every web process of a deployment reads the same cookies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from argusai.egress.secretbox import KEY_FILE, fernet_for
from argusai.settings import Settings

COOKIE = "argus_dashboard"
#: the OAuth round trip's ``state`` and where to go after it (ten minutes)
FLOW_COOKIE = "argus_dashboard_flow"
FLOW_SECONDS = 600
PATH = "/dashboard"
_LABEL = b"argus dashboard session v1"


def session_key(settings: Settings) -> bytes:
    """The Fernet key of the cookies, derived from the server's secret."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        master = settings.secret_key.get_secret_value().strip().encode()
    else:
        fernet_for(settings)  # makes <data_dir>/secret.key on first use
        master = (settings.data_dir / KEY_FILE).read_bytes().strip()
    return base64.urlsafe_b64encode(hmac.new(master, _LABEL, hashlib.sha256).digest())


@dataclass(frozen=True)
class Session:
    """A signed-in visitor as the cookie says."""

    sid: str  # random: keys the access cache
    login: str
    csrf: str
    #: the user-to-server token (None for a local sign-in link)
    token: str | None = None
    local: bool = False

    @classmethod
    def new(cls, login: str, *, token: str | None = None, local: bool = False) -> Session:
        """A fresh session: new id and CSRF token."""
        return cls(secrets.token_urlsafe(16), login, secrets.token_urlsafe(24), token, local)


class CookieBox:
    """Seal and open the dashboard's cookies."""

    def __init__(self, key: bytes, max_age_seconds: float) -> None:
        self._fernet = Fernet(key)
        self.max_age = int(max_age_seconds)

    def seal(self, data: dict[str, Any]) -> str:
        """The cookie value for ``data``."""
        return self._fernet.encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()

    def open(self, value: str | None, ttl: int) -> dict[str, Any] | None:
        """The data, or None when absent, forged, from another key or older than ``ttl`` s."""
        if not value:
            return None
        try:
            data = json.loads(self._fernet.decrypt(value.encode(), ttl=ttl))
        except (InvalidToken, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def seal_session(self, session: Session) -> str:
        """The session cookie's value."""
        return self.seal({"v": 1, **asdict(session)})

    def open_session(self, value: str | None) -> Session | None:
        """The session in the cookie, or None (signed out, expired, tampered)."""
        data = self.open(value, self.max_age)
        if data is None or data.pop("v", None) != 1:
            return None
        try:
            session = Session(**data)
        except TypeError:
            return None
        if not (isinstance(session.login, str) and isinstance(session.csrf, str)):
            return None
        return session


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token with the expected one."""
    return bool(given) and hmac.compare_digest(str(given).encode(), expected.encode())


def now() -> float:
    """Seconds since the epoch (one clock for the access cache)."""
    return time.time()
