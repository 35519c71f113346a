"""The GitHub App's manifest: what ArgusAI asks GitHub for, and where GitHub's pages are.

Pure data and functions, no I/O. ``argus app create`` (``manifest_flow``) posts this
manifest to GitHub's "new App from manifest" page and exchanges the code GitHub sends
back for the App's credentials (``POST /app-manifests/{code}/conversions``).

The events are not listed here: they are the events some feature's webhook handler
listens to (``Router.events()``), handed in by the caller. The permissions are listed
once, here, each with its reason; :func:`subscribable_events` refuses an event whose
permission the App does not ask for, so a new handler cannot silently go unheard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from argusai.errors import GitHubError, InputError

#: where ``argus serve`` takes GitHub's deliveries (web/webhooks.py)
WEBHOOK_PATH = "/webhooks/github"
#: where the dashboard's "Sign in with GitHub" comes back to (web/dashboard/signin.py)
DASHBOARD_CALLBACK_PATH = "/dashboard/callback"

DEFAULT_NAME = "ArgusAI"
DESCRIPTION = (
    "Self-hosted ArgusAI: LLM reviews of pull requests and explanations of failed CI runs."
)

#: repository permissions of the App: (access, why ArgusAI needs it)
PERMISSIONS: dict[str, tuple[str, str]] = {
    "pull_requests": ("write", "read diffs, post reviews, answer in review threads"),
    "issues": ("write", "the summary comment and answers in the conversation"),
    # write only for POST /dispatches (GitHub has no narrower permission for it): ArgusAI
    # never writes a file; without the fallback, read is enough (README)
    "contents": (
        "write",
        ".argus.yml, compares, the code around a change; the Actions fallback's dispatch",
    ),
    "metadata": ("read", "every App has it"),
    "checks": ("write", "the ArgusAI review check and its Re-run button"),
    "actions": ("read", "failed workflow runs and their logs"),
}

#: the permission GitHub requires before an App may subscribe to an event
EVENT_PERMISSION: dict[str, str] = {
    "check_run": "checks",
    "check_suite": "checks",
    "issue_comment": "issues",
    "issues": "issues",
    "pull_request": "pull_requests",
    "pull_request_review": "pull_requests",
    "pull_request_review_comment": "pull_requests",
    "pull_request_review_thread": "pull_requests",
    "push": "contents",
    "repository_dispatch": "contents",
    "workflow_dispatch": "actions",
    "workflow_job": "actions",
    "workflow_run": "actions",
}

#: events GitHub sends to every App: not subscribable, never in ``default_events``
ALWAYS_SENT = frozenset(
    {"installation", "installation_repositories", "installation_target", "github_app_authorization"}
)

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
MAX_NAME = 34  # GitHub's limit on an App's name


def subscribable_events(events: Iterable[str]) -> list[str]:
    """The events to put in the manifest: every handled one but those sent to every App.

    Raises ValueError for an event whose permission is unknown or not asked for.
    """
    chosen = sorted(set(events) - ALWAYS_SENT)
    for event in chosen:
        permission = EVENT_PERMISSION.get(event)
        if permission is None:
            raise ValueError(f"event {event!r}: which permission does it need? (EVENT_PERMISSION)")
        if permission not in PERMISSIONS:
            raise ValueError(f"event {event!r} needs the {permission!r} permission (PERMISSIONS)")
    return chosen


def http_url(url: str, option: str = "--url") -> str:
    """``url`` checked as ``http(s)://host[:port][/path]``, without the slash at the end."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{option} {url!r}: give an address like https://HOST[/PATH]")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise InputError(f"{option} {url!r}: no query, fragment or user name")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def app_manifest(
    *, name: str, public_url: str, redirect_url: str | None, events: Iterable[str]
) -> dict[str, Any]:
    """The manifest GitHub creates the App from (private; webhooks to ``public_url``)."""
    if not name.strip() or len(name.strip()) > MAX_NAME:
        raise InputError(f"--name {name!r}: 1 to {MAX_NAME} characters")
    base = http_url(public_url)
    manifest: dict[str, Any] = {
        "name": name.strip(),
        "url": base,
        "description": DESCRIPTION,
        "hook_attributes": {"url": base + WEBHOOK_PATH, "active": True},
        "callback_urls": [base + DASHBOARD_CALLBACK_PATH],
        "public": False,
        "request_oauth_on_install": False,
        "setup_on_update": False,
        "default_permissions": {name: access for name, (access, _) in PERMISSIONS.items()},
        "default_events": subscribable_events(events),
    }
    if redirect_url is not None:
        manifest["redirect_url"] = redirect_url
    return manifest


@dataclass(frozen=True)
class GitHubSite:
    """github.com or a GitHub Enterprise server: its web pages and its REST API."""

    web_url: str
    api_url: str

    @classmethod
    def of(cls, github_url: str, api_url: str | None = None) -> GitHubSite:
        """The site at ``github_url``; the API address follows GitHub's rules unless given."""
        web = http_url(github_url, "--github-url")
        api = api_url_for(web) if api_url is None else http_url(api_url, "--api-url")
        return cls(web, api)

    @property
    def is_github_com(self) -> bool:
        """True for github.com itself."""
        return urlsplit(self.web_url).hostname in ("github.com", "www.github.com")

    def new_app_url(self, org: str | None) -> str:
        """GitHub's "new App from manifest" page, for the user or for organisation ``org``."""
        if org is None:
            return f"{self.web_url}/settings/apps/new"
        if not _LOGIN.match(org):
            raise InputError(f"--org {org!r} is not a GitHub organisation name")
        return f"{self.web_url}/organizations/{org}/settings/apps/new"

    def conversion_url(self, code: str) -> str:
        """``POST`` here to turn the redirect's ``code`` into the App's credentials."""
        if not _CODE.match(code):
            raise InputError("GitHub's code has an unexpected form")
        return f"{self.api_url}/app-manifests/{code}/conversions"


def api_url_for(web_url: str) -> str:
    """The REST API of a GitHub site: api.github.com, ``api.SUB.ghe.com`` (GitHub Enterprise
    Cloud with data residency) or ``<server>/api/v3`` (GitHub Enterprise Server)."""
    parts = urlsplit(web_url)
    host = (parts.hostname or "").lower()
    if host in ("github.com", "www.github.com"):
        return "https://api.github.com"
    if host.endswith(".ghe.com") and not host.startswith("api."):
        return f"{parts.scheme}://api.{parts.netloc}"
    return f"{web_url.rstrip('/')}/api/v3"


@dataclass(frozen=True)
class AppCredentials:
    """What GitHub answers the conversion with; secrets stay out of ``repr``."""

    app_id: int
    slug: str
    name: str
    html_url: str
    owner: str | None
    client_id: str | None
    client_secret: str | None = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    pem: str = field(repr=False)

    @property
    def installation_url(self) -> str:
        """Where the App is installed on repositories."""
        return f"{self.html_url.rstrip('/')}/installations/new"


def _text(data: Mapping[str, Any], key: str, limit: int = 512) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or "\n" in value or "\r" in value:
        raise GitHubError(f"GitHub's answer has an unusable {key!r}")
    return value


def parse_conversion(data: Any) -> AppCredentials:
    """The App's credentials from GitHub's conversion answer (checked: id, key, URLs)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if not isinstance(data, Mapping):
        raise GitHubError("GitHub's answer to the conversion is not a JSON object")
    app_id = data.get("id")
    if not isinstance(app_id, int) or isinstance(app_id, bool) or app_id <= 0:
        raise GitHubError("GitHub's answer has no App id")
    pem = data.get("pem")
    if not isinstance(pem, str) or len(pem) > 16_384:
        raise GitHubError("GitHub's answer has no private key")
    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise GitHubError("GitHub's answer has a private key that cannot be read") from None
    html_url = _text(data, "html_url")
    if html_url is None or urlsplit(html_url).scheme not in ("http", "https"):
        raise GitHubError("GitHub's answer has no html_url")
    owner = data.get("owner")
    login = owner.get("login") if isinstance(owner, Mapping) else None
    return AppCredentials(
        app_id=app_id,
        slug=_text(data, "slug", 100) or "",
        name=_text(data, "name", 100) or "",
        html_url=html_url,
        owner=login if isinstance(login, str) else None,
        client_id=_text(data, "client_id", 100),
        client_secret=_text(data, "client_secret"),
        webhook_secret=_text(data, "webhook_secret"),
        pem=pem,
    )
