"""``GitHubApp``: the GitHubAppClient port — App JWT, installation tokens, clients."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

import httpx
from githubkit import AppAuthStrategy, BaseAuthStrategy, GitHub
from githubkit.cache import MemCacheStrategy

from argusai.core.closing import ClosesOnExit
from argusai.errors import ConfigError, GitHubError
from argusai.github.client import InstallationClient
from argusai.github.parse import HookDelivery, hook_delivery
from argusai.github.rest import EVENT_HOOKS, GitHubRest, segment
from argusai.github.retry import InlineRetry
from argusai.github.tokens import InstallationAuthStrategy, InstallationTokens

if TYPE_CHECKING:
    from argusai.limits.github import GitHubGuard
    from argusai.settings import Settings

USER_AGENT = "ArgusAI (githubkit)"
TOKEN_REFRESH_MARGIN = 300.0  # seconds before expiry a cached token is replaced


class _SharedTransport(httpx.BaseTransport):
    """One connection pool for all githubkit clients; their ``close()`` leaves it open.

    githubkit builds an httpx client per request and closes it afterwards, which
    would otherwise close the pool under the feet of other threads.
    """

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send through the shared pool."""
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Do nothing: the owning GitHubApp closes the pool."""

    def close_pool(self) -> None:
        """Really close the pool."""
        self._inner.close()


class GitHubApp(ClosesOnExit):
    """A GitHub App: mints and caches installation tokens, hands out installation clients."""

    def __init__(
        self,
        app_id: int,
        private_key_pem: str,
        *,
        base_url: str,
        api_version: str = "2022-11-28",
        max_inline_wait: float = 5.0,
        timeout: float = 30.0,
        server_retries: int = 2,
        transport: httpx.BaseTransport | None = None,
        guard: GitHubGuard | None = None,
    ) -> None:
        if app_id <= 0:
            raise ConfigError("GitHub App id must be a positive integer")
        _check_private_key(private_key_pem)
        self.app_id = app_id
        self.base_url = base_url
        self.api_version = api_version
        # write pacing + rate-limit pauses per installation (None: no limits)
        self.guard = guard
        self._transport = _SharedTransport(transport or httpx.HTTPTransport(retries=1))
        self._options: dict[str, Any] = {
            "base_url": base_url,
            "user_agent": USER_AGENT,
            "timeout": timeout,
            "transport": self._transport,
            "event_hooks": EVENT_HOOKS,
            "http_cache": False,
            "auto_retry": InlineRetry(
                max_inline_wait=max_inline_wait, server_retries=server_retries
            ),
        }
        # Own JWT cache: githubkit's default one is process-wide and keyed by app id only.
        self._app_rest = self._rest(
            AppAuthStrategy(app_id, private_key_pem), cache_strategy=MemCacheStrategy()
        )
        self._tokens = InstallationTokens(self._mint, refresh_margin=TOKEN_REFRESH_MARGIN)
        self._clients: dict[int, InstallationClient] = {}
        self._lock = threading.Lock()
        self._slug: str | None = None

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self.app_id}, base_url={self.base_url!r})"

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> GitHubApp:
        """Build the App client from ``ARGUS_GITHUB_*`` settings."""
        pem = settings.private_key_pem()
        if settings.github_app_id is None or not pem:
            raise ConfigError(
                "ARGUS_GITHUB_APP_ID and ARGUS_GITHUB_PRIVATE_KEY "
                "(or ARGUS_GITHUB_PRIVATE_KEY_PATH) are required to talk to GitHub"
            )
        if "guard" not in options:
            from argusai.limits.github import GitHubGuard
            from argusai.limits.policy import limits_for

            options["guard"] = GitHubGuard(limits_for(settings))
        return cls(
            settings.github_app_id,
            pem,
            base_url=settings.github_api_url,
            api_version=settings.github_api_version,
            **options,
        )

    def _rest(
        self,
        auth: BaseAuthStrategy,
        *,
        before_request: Callable[[str, str], None] | None = None,
        **extra: Any,
    ) -> GitHubRest:
        github: GitHub[Any] = GitHub(auth, **{**self._options, **extra})
        return GitHubRest(github, api_version=self.api_version, before_request=before_request)

    def _mint(self, installation_id: int) -> tuple[str, float]:
        """Exchange the App JWT for an installation token: (token, expires_at epoch)."""
        data = self._app_rest.json(
            "POST", f"/app/installations/{int(installation_id)}/access_tokens"
        )
        try:
            token = str(data["token"])
            expires_at = datetime.fromisoformat(str(data["expires_at"])).timestamp()
        except (KeyError, TypeError, ValueError):
            raise GitHubError(
                f"unexpected access token response for installation {installation_id}"
            ) from None
        return token, expires_at

    def for_installation(self, installation_id: int) -> InstallationClient:
        """The client acting as ``installation_id`` (cached; safe to share across threads)."""
        with self._lock:
            client = self._clients.get(installation_id)
            if client is None:
                auth = InstallationAuthStrategy(self._tokens, installation_id)
                if self.guard is None:
                    rest = self._rest(auth)
                else:
                    hooks = {
                        "request": list(EVENT_HOOKS["request"]),
                        "response": [
                            *EVENT_HOOKS["response"],
                            self.guard.response_hook(installation_id),
                        ],
                    }
                    rest = self._rest(
                        auth,
                        before_request=partial(self.guard.before_request, installation_id),
                        event_hooks=hooks,
                    )
                client = InstallationClient(rest, installation_id)
                self._clients[installation_id] = client
            return client

    def app_slug(self) -> str:
        """The App's slug from ``GET /app`` (asked once per process: it never changes)."""
        with self._lock:
            if self._slug is not None:
                return self._slug
        data = self._app_rest.json("GET", "/app")
        slug = data.get("slug") if isinstance(data, dict) else None
        if not isinstance(slug, str) or not slug:
            raise GitHubError("unexpected GitHub response for GET /app: no slug")
        with self._lock:
            self._slug = slug
        return slug

    def installation_for_repo(self, owner: str, repo: str) -> int:
        """The id of the App's installation on ``owner/repo`` (404 → GitHubError)."""
        data = self._app_rest.json("GET", f"/repos/{segment(owner)}/{segment(repo)}/installation")
        try:
            return int(data["id"])
        except (KeyError, TypeError, ValueError):
            raise GitHubError(f"unexpected installation response for {owner}/{repo}") from None

    def list_hook_deliveries(self, *, limit: int = 100) -> list[HookDelivery]:
        """The App's most recent webhook deliveries, newest first (at most ``limit``)."""
        items = self._app_rest.paginate("/app/hook/deliveries", limit=limit, per_page=100)
        try:
            return [hook_delivery(item) for item in items]
        except (KeyError, TypeError, ValueError):
            raise GitHubError("unexpected hook delivery in GitHub's response") from None

    def redeliver(self, delivery_id: int) -> None:
        """Ask GitHub to send a webhook delivery again."""
        self._app_rest.request("POST", f"/app/hook/deliveries/{int(delivery_id)}/attempts")

    def installation_token(self, installation_id: int) -> str:
        """A valid installation token (for git over HTTPS or a subprocess)."""
        return self._tokens.get(installation_id)

    def close(self) -> None:
        """Close the shared connection pool."""
        self._transport.close_pool()


def _check_private_key(pem: str) -> None:
    """Fail at start-up, not on the first webhook; the message never echoes the key."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError("GitHub App private key is not a readable PEM private key") from None
