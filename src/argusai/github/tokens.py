"""Installation access tokens: minted on demand, cached until shortly before expiry.

One cache serves every worker thread. Each installation has its own lock, so two
threads needing the same token mint it once, while other installations proceed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import httpx
from githubkit import BaseAuthStrategy

if TYPE_CHECKING:
    from githubkit import GitHubCore

# (token, expires_at as epoch seconds)
Minter = Callable[[int], tuple[str, float]]


class InstallationTokens:
    """Thread-safe cache of installation tokens, refreshed ``refresh_margin`` s early."""

    def __init__(
        self,
        mint: Minter,
        *,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._mint = mint
        self._margin = refresh_margin
        self._clock = clock
        self._tokens: dict[int, tuple[str, float]] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"InstallationTokens(cached={len(self._tokens)})"

    def _lock_for(self, installation_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(installation_id, threading.Lock())

    def _fresh(self, installation_id: int) -> str | None:
        entry = self._tokens.get(installation_id)
        if entry is not None and entry[1] - self._margin > self._clock():
            return entry[0]
        return None

    def get(self, installation_id: int) -> str:
        """A token for the installation valid for at least the refresh margin."""
        token = self._fresh(installation_id)
        if token is not None:
            return token
        with self._lock_for(installation_id):
            token = self._fresh(installation_id)
            if token is None:
                token, expires_at = self._mint(installation_id)
                self._tokens[installation_id] = (token, expires_at)
            return token

    def invalidate(self, installation_id: int, token: str | None = None) -> None:
        """Forget the cached token (only if it is still ``token``, when given)."""
        with self._lock_for(installation_id):
            entry = self._tokens.get(installation_id)
            if entry is not None and (token is None or entry[0] == token):
                del self._tokens[installation_id]


class _InstallationAuth(httpx.Auth):
    """Adds the installation token; on 401 mints a fresh one and tries once more."""

    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self._tokens = tokens
        self._installation_id = installation_id

    def __repr__(self) -> str:
        return f"_InstallationAuth(installation_id={self._installation_id})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign the request; a 401 means the token was revoked or expired early."""
        used = self._tokens.get(self._installation_id)
        request.headers["Authorization"] = f"token {used}"
        response = yield request
        if response.status_code == 401:
            self._tokens.invalidate(self._installation_id, used)
            request.headers["Authorization"] = f"token {self._tokens.get(self._installation_id)}"
            yield request


class InstallationAuthStrategy(BaseAuthStrategy):
    """githubkit auth strategy backed by a shared :class:`InstallationTokens` cache."""

    def __init__(self, tokens: InstallationTokens, installation_id: int) -> None:
        self.tokens = tokens
        self.installation_id = installation_id

    def get_auth_flow(self, github: GitHubCore[Any]) -> httpx.Auth:
        """The httpx auth flow githubkit attaches to each client."""
        return _InstallationAuth(self.tokens, self.installation_id)
