"""The App's manifest, GitHub's addresses and the conversion answer (no I/O)."""

from __future__ import annotations

import pytest

from argusai.errors import GitHubError, InputError
from argusai.github.manifest import (
    ALWAYS_SENT,
    DASHBOARD_CALLBACK_PATH,
    EVENT_PERMISSION,
    PERMISSIONS,
    WEBHOOK_PATH,
    GitHubSite,
    api_url_for,
    app_manifest,
    parse_conversion,
    subscribable_events,
)
from tests.fakes.keys import generate_rsa_keypair


def test_router_events_are_all_subscribable_with_the_apps_permissions() -> None:
    from argusai.cli import _webhook_events

    handled = _webhook_events()
    events = subscribable_events(handled)
    # every event a feature handles is asked for, except those GitHub sends every App
    assert set(events) == set(handled) - ALWAYS_SENT
    assert {"pull_request", "issue_comment", "pull_request_review_comment"} <= set(events)
    assert {"pull_request_review_thread", "workflow_run", "check_run"} <= set(events)
    assert "installation" in handled and "installation" not in events
    for event in events:
        assert EVENT_PERMISSION[event] in PERMISSIONS


def test_an_event_without_a_known_or_granted_permission_is_refused() -> None:
    with pytest.raises(ValueError, match="which permission"):
        subscribable_events(["pull_request", "deployment"])
    with pytest.raises(ValueError, match=r"needs the 'contents' permission"):
        original = PERMISSIONS.pop("contents")
        try:
            subscribable_events(["push"])
        finally:
            PERMISSIONS["contents"] = original


def test_manifest_points_github_at_the_server() -> None:
    manifest = app_manifest(
        name=" ArgusAI ",
        public_url="https://argus.example.com/base/",
        redirect_url="http://127.0.0.1:5000/callback",
        events=["pull_request", "installation", "issue_comment"],
    )
    assert manifest["name"] == "ArgusAI"
    assert manifest["url"] == "https://argus.example.com/base"
    assert manifest["hook_attributes"] == {
        "url": "https://argus.example.com/base/webhooks/github",
        "active": True,
    }
    assert manifest["callback_urls"] == ["https://argus.example.com/base/dashboard/callback"]
    assert manifest["redirect_url"] == "http://127.0.0.1:5000/callback"
    assert manifest["public"] is False
    assert manifest["default_events"] == ["issue_comment", "pull_request"]
    assert manifest["default_permissions"] == {
        "pull_requests": "write",
        "issues": "write",
        "contents": "write",  # repository_dispatch: the Actions fallback
        "metadata": "read",
        "checks": "write",
        "actions": "read",
    }


@pytest.mark.parametrize(
    "url",
    [
        "argus.example.com",
        "ftp://x.example",
        "https://",
        "https://a.example/?x=1",
        "https://u@a.example",
    ],
)
def test_a_public_url_that_github_cannot_call_is_refused(url: str) -> None:
    with pytest.raises(InputError, match="--url"):
        app_manifest(name="ArgusAI", public_url=url, redirect_url=None, events=[])


def test_names_longer_than_githubs_limit_are_refused() -> None:
    with pytest.raises(InputError, match="--name"):
        app_manifest(name="x" * 35, public_url="https://a.example", redirect_url=None, events=[])


def test_paths_in_the_manifest_are_the_servers_routes() -> None:
    from argusai.web.dashboard.signin import router as signin
    from argusai.web.webhooks import router as webhooks

    assert WEBHOOK_PATH in {getattr(r, "path", None) for r in webhooks.routes}
    assert DASHBOARD_CALLBACK_PATH in {getattr(r, "path", None) for r in signin.routes}


@pytest.mark.parametrize(
    ("web", "api"),
    [
        ("https://github.com", "https://api.github.com"),
        ("https://github.com/", "https://api.github.com"),
        ("https://www.github.com", "https://api.github.com"),
        ("https://octocorp.ghe.com", "https://api.octocorp.ghe.com"),
        ("https://git.example.com", "https://git.example.com/api/v3"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v3"),
    ],
)
def test_the_api_follows_githubs_layout(web: str, api: str) -> None:
    site = GitHubSite.of(web)
    assert site.api_url == api
    assert api_url_for(site.web_url) == api


def test_site_pages_personal_organisation_and_conversion() -> None:
    site = GitHubSite.of("https://git.example.com/")
    assert site.web_url == "https://git.example.com"
    assert site.new_app_url(None) == "https://git.example.com/settings/apps/new"
    assert (
        site.new_app_url("octo-org")
        == "https://git.example.com/organizations/octo-org/settings/apps/new"
    )
    assert site.conversion_url("abc123") == (
        "https://git.example.com/api/v3/app-manifests/abc123/conversions"
    )
    assert GitHubSite.of("https://github.com", "https://proxy.example/gh/").api_url == (
        "https://proxy.example/gh"
    )
    with pytest.raises(InputError, match="--org"):
        site.new_app_url("../evil")
    with pytest.raises(InputError):
        site.conversion_url("../../user")
    with pytest.raises(InputError, match="--github-url"):
        GitHubSite.of("github.com")
    with pytest.raises(InputError, match="--api-url"):
        GitHubSite.of("https://github.com", "api.github.com")


def _answer(**changes: object) -> dict[str, object]:
    private_pem, _ = generate_rsa_keypair()
    data: dict[str, object] = {
        "id": 77,
        "slug": "argusai",
        "name": "ArgusAI",
        "html_url": "https://github.com/apps/argusai",
        "owner": {"login": "octo-org", "type": "Organization"},
        "client_id": "Iv23liabc",
        "client_secret": "client-secret-value",
        "webhook_secret": "webhook-secret-value",
        "pem": private_pem,
    }
    data.update(changes)
    return data


def test_conversion_answer_gives_the_credentials_and_hides_them_in_repr() -> None:
    app = parse_conversion(_answer())
    assert (app.app_id, app.slug, app.owner, app.client_id) == (
        77,
        "argusai",
        "octo-org",
        "Iv23liabc",
    )
    assert app.installation_url == "https://github.com/apps/argusai/installations/new"
    shown = repr(app)
    assert "client-secret-value" not in shown and "webhook-secret-value" not in shown
    assert "PRIVATE KEY" not in shown


@pytest.mark.parametrize(
    "changes",
    [
        {"id": None},
        {"id": True},
        {"pem": "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n"},
        {"pem": None},
        {"html_url": "javascript:alert(1)"},
        {"webhook_secret": "two\nlines"},
    ],
)
def test_an_unusable_conversion_answer_is_refused(changes: dict[str, object]) -> None:
    with pytest.raises(GitHubError):
        parse_conversion(_answer(**changes))
    with pytest.raises(GitHubError):
        parse_conversion(["not", "an", "object"])
