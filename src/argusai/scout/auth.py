"""Who the crawl is: ``ARGUS_SCOUT_GITHUB_TOKEN``, else the App's installation tokens."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import httpx

from argusai.errors import ArgusError, ConfigError, GitHubError

if TYPE_CHECKING:
    from argusai.runtime import Runtime
    from argusai.settings import Settings

#: what the worker logs at start when scout processing has no credentials at all
ANONYMOUS_WARNING = (
    "scout processing reads GitHub anonymously (60 requests an hour): set "
    "ARGUS_SCOUT_GITHUB_TOKEN or the GitHub App settings (ARGUS_GITHUB_APP_ID and its key)"
)


@runtime_checkable
class InstallationTokenSource(Protocol):
    """What the crawl needs of the App client (``GitHubApp`` has it)."""

    def installation_token(self, installation_id: int) -> str: ...


def app_jwt(app_id: int, private_key_pem: str) -> str:
    """A 9-minute App JWT (RS256), as GitHub asks for ``/app/...`` endpoints."""
    import jwt

    now = int(time.time())
    return jwt.encode(
        {"iat": now - 60, "exp": now + 540, "iss": str(app_id)}, private_key_pem, algorithm="RS256"
    )


class CrawlIdentity:
    """Tokens for the crawl: the configured token, or installation tokens of the App.

    Without a token, public repositories are read with the first installation's token
    (GitHub lets an installation token read any public repository).
    """

    def __init__(self, settings: Settings, app: InstallationTokenSource | None) -> None:
        self._settings = settings
        self._app = app
        self._pat = (
            settings.scout_github_token.get_secret_value() if settings.scout_github_token else None
        )
        self._default_installation: int | None = None
        self._lock = threading.Lock()

    @property
    def has_app(self) -> bool:
        """True when App credentials are configured (the ``installed`` source needs them)."""
        return self._app is not None and self._settings.github_app_id is not None

    def token_for(self, installation_id: int | None) -> str:
        """The token for one installation's repositories, or for public ones (None)."""
        if installation_id is not None and self._app is not None:
            return self._app.installation_token(installation_id)
        if self._pat:
            return self._pat
        if self._app is None:
            raise ConfigError("scout needs ARGUS_SCOUT_GITHUB_TOKEN or the GitHub App settings")
        with self._lock:
            if self._default_installation is None:
                found = self.installations()
                if not found:
                    raise GitHubError("the App has no installation to read public repositories")
                self._default_installation = found[0]
        return self._app.installation_token(self._default_installation)

    def jwt(self) -> str:
        """An App JWT (ConfigError without App credentials)."""
        pem = self._settings.private_key_pem()
        if self._settings.github_app_id is None or not pem:
            raise ConfigError("the installed source needs ARGUS_GITHUB_APP_ID and a private key")
        return app_jwt(self._settings.github_app_id, pem)

    def installations(self) -> list[int]:
        """Ids of the App's installations (one page of 100 is plenty for a default)."""
        url = self._settings.github_api_url.rstrip("/") + "/app/installations"
        headers = {"Authorization": f"Bearer {self.jwt()}", "Accept": "application/vnd.github+json"}
        response = httpx.get(url, headers=headers, params={"per_page": 100}, timeout=30)
        if response.status_code != 200:
            raise GitHubError(f"GET /app/installations: {response.status_code}")
        return sorted(int(item["id"]) for item in response.json())


def has_credentials(settings: Settings) -> bool:
    """True when the scout can authenticate: a scout token, or App id and private key."""
    if settings.scout_github_token is not None and settings.scout_github_token.get_secret_value():
        return True
    try:
        return settings.github_app_id is not None and bool(settings.private_key_pem())
    except OSError:
        return False


def crawl_identity(rt: Runtime) -> CrawlIdentity:
    """The crawl's identity for ``rt`` (the App client only when the App is configured)."""
    app: InstallationTokenSource | None = None
    if rt.settings.github_app_id is not None:
        try:
            github: object = rt.github
        except ArgusError:
            github = None  # App settings incomplete: the scout token (if any) is used
        if isinstance(github, InstallationTokenSource):
            app = github
    return CrawlIdentity(rt.settings, app)
