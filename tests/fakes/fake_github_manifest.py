"""GitHub's "new App from manifest" flow, for the fake GitHub.

* ``POST /settings/apps/new?state=…`` and ``POST /organizations/{org}/settings/apps/new``
  (the browser, a form with ``manifest``): the manifest is checked as GitHub does
  (``url``, ``hook_attributes.url``, ``redirect_url``, a name of at most 34 characters,
  known permissions and levels, each event allowed by a granted permission); then
  GitHub's confirmation page is skipped and the browser is sent to ``redirect_url`` with
  a ``code`` and the same ``state`` (302). A bad manifest: 422; an organisation the
  user may not create Apps for: 404. On GitHub Enterprise (the fake built with
  ``prefix="/api/v3"``) these pages live outside the API prefix, at the site's root.
* ``POST /app-manifests/{code}/conversions`` (no authentication): a code is good once,
  for ``code_ttl`` seconds; the answer is the new App with its ``pem``, webhook secret and
  OAuth client. The fake then **plays that App**: its id, key and slug become the fake's,
  and the OAuth client is configured (``fake_github_oauth``), so the written ``.env`` works
  against the same fake.

Usage: ``apps = fake_manifests(fake); apps.orgs.add("octo-org")``; after the flow
``apps.created`` lists each App created (with its manifest) and ``apps.conversions``
counts exchanges.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from tests.fakes.fake_github import FakeGitHub
    from tests.fakes.fake_github_routes import Call, Reply

#: permissions GitHub knows (a subset), with the levels it accepts
PERMISSION_LEVELS = {
    "actions": {"read", "write"},
    "checks": {"read", "write"},
    "contents": {"read", "write"},
    "issues": {"read", "write"},
    "metadata": {"read"},
    "pull_requests": {"read", "write"},
    "statuses": {"read", "write"},
    "workflows": {"write"},
}
#: the permission an event needs before an App may subscribe to it (GitHub's rule)
EVENT_NEEDS = {
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
    "status": "statuses",
    "workflow_job": "actions",
    "workflow_run": "actions",
}

#: the site's web pages (outside the API prefix on GitHub Enterprise)
_PAGES = (
    re.compile(r"^/settings/apps/new$"),
    re.compile(r"^/organizations/[^/]+/settings/apps/new$"),
)


def site_page(path: str) -> bool:
    """True for a page of the site itself rather than of the REST API."""
    return any(p.match(path) for p in _PAGES)


@dataclass
class FakeManifests:
    """The manifest side of one fake GitHub: who creates Apps where, codes, Apps made."""

    fake: FakeGitHub
    login: str = "octocat"  # who the browser is signed in as
    orgs: set[str] = field(default_factory=set)  # organisations the user may create Apps for
    code_ttl: float = 3600.0
    adopt: bool = True  # the fake plays each new App
    codes: dict[str, tuple[dict[str, Any], float]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    conversions: int = 0

    @property
    def web_url(self) -> str:
        """The site's address (the API may be under ``/api/v3``)."""
        return f"http://127.0.0.1:{self.fake.port}"


def fake_manifests(fake: FakeGitHub) -> FakeManifests:
    """The manifest state of ``fake`` (made on first use)."""
    with fake.lock:
        state: FakeManifests | None = getattr(fake, "_manifests", None)
        if state is None:
            state = FakeManifests(fake)
            fake._manifests = state  # type: ignore[attr-defined]
        return state


def _problems(manifest: Any) -> list[str]:
    if not isinstance(manifest, dict):
        return ["the manifest is not a JSON object"]
    problems = []
    name = manifest.get("name")
    if not isinstance(name, str) or not 0 < len(name) <= 34:
        problems.append("name must be 1 to 34 characters")
    for key in ("url", "redirect_url"):
        if urlsplit(str(manifest.get(key) or "")).scheme not in ("http", "https"):
            problems.append(f"{key} is required")
    hook = manifest.get("hook_attributes")
    if not isinstance(hook, dict) or (
        hook.get("active", True)
        and urlsplit(str(hook.get("url") or "")).scheme not in ("http", "https")
    ):
        problems.append("hook_attributes.url is required for an active webhook")
    if not isinstance(manifest.get("public", False), bool):
        problems.append("public must be true or false")
    callbacks = manifest.get("callback_urls", [])
    if not isinstance(callbacks, list) or len(callbacks) > 10:
        problems.append("callback_urls: at most 10")
    permissions = manifest.get("default_permissions", {})
    if not isinstance(permissions, dict):
        return [*problems, "default_permissions must be an object"]
    for perm, level in permissions.items():
        if level not in PERMISSION_LEVELS.get(perm, set()):
            problems.append(f"default_permissions: {perm}={level} is not valid")
    for event in manifest.get("default_events", []):
        needs = EVENT_NEEDS.get(event)
        if needs is None:
            problems.append(f"default_events: unknown event {event}")
        elif needs not in permissions:
            problems.append(f"default_events: {event} needs the {needs} permission")
    return problems


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def new_app(fake: FakeGitHub, call: Call) -> Reply:
    """The "new App from manifest" page: check it, skip the confirmation, redirect."""
    from tests.fakes.fake_github_routes import Reply

    apps = fake_manifests(fake)
    org = call.args[0] if call.args else None
    if org is not None and org not in apps.orgs:
        return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
    form = call.json if isinstance(call.json, dict) else {}
    try:
        manifest = json.loads(form.get("manifest", ""))
    except ValueError:
        manifest = None
    problems = _problems(manifest)
    if problems:
        return Reply(422, {"message": "Invalid manifest", "errors": problems})
    code = secrets.token_hex(10)
    apps.codes[code] = ({"manifest": manifest, "owner": org or apps.login, "org": org}, time.time())
    query = {"code": code, **({"state": call.query["state"]} if "state" in call.query else {})}
    redirect = str(manifest["redirect_url"])
    location = f"{redirect}{'&' if '?' in redirect else '?'}{urlencode(query)}"
    return Reply(302, b"", {"Location": location, "Content-Type": "text/html"})


def conversion(fake: FakeGitHub, call: Call) -> Reply:
    """Turn a code into the App: once, within ``code_ttl``."""
    from tests.fakes.fake_github_oauth import fake_oauth
    from tests.fakes.fake_github_routes import Reply, iso, not_found

    apps = fake_manifests(fake)
    pending = apps.codes.pop(call.args[0], None)
    if pending is None or time.time() - pending[1] > apps.code_ttl:
        raise not_found()
    apps.conversions += 1
    manifest, owner, org = pending[0]["manifest"], pending[0]["owner"], pending[0]["org"]
    app_id = next(fake._ids)
    slug = re.sub(r"[^a-z0-9]+", "-", manifest["name"].lower()).strip("-") or f"app-{app_id}"
    private_pem, public_pem = _key_pair()
    now = iso(time.time())
    app = {
        "id": app_id,
        "slug": slug,
        "node_id": f"A_{app_id}",
        "owner": {"login": owner, "type": "Organization" if org else "User"},
        "name": manifest["name"],
        "description": manifest.get("description", ""),
        "external_url": manifest["url"],
        "html_url": f"{apps.web_url}/apps/{slug}",
        "created_at": now,
        "updated_at": now,
        "permissions": manifest.get("default_permissions", {}),
        "events": manifest.get("default_events", []),
        "installations_count": 0,
        "client_id": f"Iv23li{secrets.token_hex(7)}",
        "client_secret": secrets.token_hex(20),
        "webhook_secret": secrets.token_hex(20),
        "pem": private_pem,
    }
    apps.created.append({**app, "manifest": manifest})
    if apps.adopt:
        fake.app_id, fake.public_key_pem, fake.app_slug = app_id, public_pem, slug
        fake_oauth(fake).configure(app["client_id"], app["client_secret"])
    return Reply(201, app)


def manifest_routes() -> list[tuple[str, str, str, Callable[..., Any]]]:
    """(method, path regex, auth, handler): site pages, and the public conversion."""
    return [
        ("POST", "/settings/apps/new", "site", new_app),
        ("POST", r"/organizations/([^/]+)/settings/apps/new", "site", new_app),
        ("POST", r"/app-manifests/([^/]+)/conversions", "public", conversion),
    ]
