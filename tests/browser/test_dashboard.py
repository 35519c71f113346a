"""The dashboard in a real headless browser: Debian's chromium driven by Playwright.

The app runs as ``argus serve`` serves it (uvicorn in a thread on 127.0.0.1) and the fake
GitHub plays github.com's sign-in pages on another loopback port. The browser signs in
with GitHub, sees what its user may see, retries a dead letter from the work page, and
every request the pages make is recorded: none leaves the dashboard's origin.

``DASHBOARD_SCREENSHOT=docs/dashboard.png`` also saves the overview (README).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from argusai.runtime import Runtime
from argusai.store.models import DeadLetter, Review
from argusai.web.app import create_app
from tests.conftest import make_settings
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_github_oauth import FakeOAuth, fake_oauth
from tests.fakes.keys import generate_rsa_keypair
from tests.integration.live_server import live_app
from tests.support import make_runtime
from tests.support.dashboard import ACME_REPOS, SECRET_REPO, Seeded, seed

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

PAGES = ("", "/repositories", "/repositories/acme/api", "/work", "/ci", "/scout", "/audit")


@dataclass
class Site:
    url: str
    gh: FakeGitHub
    oauth: FakeOAuth
    rt: Runtime
    seeded: Seeded


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    _, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=1, public_key_pem=public_pem) as gh:
        for name in ACME_REPOS:
            gh.add_repo(*name.split("/"), installation_id=101)
        gh.add_repo(*SECRET_REPO.split("/"), installation_id=202, private=True)
        oauth = fake_oauth(gh)
        oauth.configure("Iv1.browser", "browser-client-secret")
        oauth.add_user("alice", ACME_REPOS)
        oauth.add_user("ops-admin", [])
        settings = make_settings(
            tmp_path,
            github_api_url=gh.base_url,
            github_web_url=gh.base_url,
            github_client_id="Iv1.browser",
            github_client_secret="browser-client-secret",
            admin_logins=("ops-admin",),
        )
        rt = make_runtime(settings)
        seeded = seed(rt)
        with live_app(create_app(rt), settings) as url:
            yield Site(url, gh, oauth, rt, seeded)
        rt.db.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=True, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def sign_in(page: Page, site: Site, login: str) -> None:
    """Click "Sign in with GitHub": off to the fake github.com and back, signed in."""
    site.oauth.sign_in_as(login)
    page.goto(f"{site.url}/dashboard")
    assert "/dashboard/signin" in page.url
    with page.expect_navigation(url=f"{site.url}/dashboard"):
        page.click("#signin")
    assert page.locator("#login").inner_text() == login


def repositories_listed(page: Page) -> list[str]:
    return page.locator("#repositories a.repo").all_inner_texts()


def test_sign_in_with_github_and_a_user_sees_only_their_repositories(
    page: Page, site: Site
) -> None:
    sign_in(page, site, "alice")
    assert page.locator(".badge").count() == 0  # not an admin
    nav = page.locator("header nav a").all_inner_texts()
    assert nav == ["Overview", "Repositories", "CI", "Scout"]
    page.click("text=Repositories")
    assert sorted(repositories_listed(page)) == sorted(ACME_REPOS)
    page.click("text=acme/api")
    page.click("a.pull >> nth=0")
    assert "/dashboard/repositories/acme/api/pulls/" in page.url
    assert page.locator("#findings tbody tr").count() >= 1
    page.goto(f"{site.url}/dashboard/repositories/globex/secret")
    assert page.locator("#message-title").inner_text() == "Not found"
    page.goto(f"{site.url}/dashboard/work")
    assert page.locator("#message-title").inner_text() == "Not allowed"

    page.goto(f"{site.url}/dashboard")
    page.click("#logout")
    assert page.locator("#signed-out").is_visible()
    page.goto(f"{site.url}/dashboard/repositories")
    assert "/dashboard/signin" in page.url


def test_retry_a_dead_letter_from_the_work_page(page: Page, site: Site) -> None:
    sign_in(page, site, "ops-admin")
    assert page.locator(".badge").inner_text() == "admin"
    assert page.locator("#card-dead .value").inner_text() == "1"
    page.click("text=Work")
    rows = page.locator("#dead tr.dead-letter")
    assert rows.count() == 1
    assert "acme/web#77" in rows.nth(0).inner_text()
    with page.expect_navigation():
        rows.nth(0).locator("button.retry").click()
    assert (
        page.locator("#flash").inner_text() == f"review {site.seeded.dead_review_id} queued again."
    )
    assert page.locator("#dead tr.dead-letter").count() == 0
    assert page.locator("#no-dead").is_visible()
    assert page.locator("#kind-review .queued").inner_text() == "1"
    with site.rt.db.session() as s:
        review = s.get(Review, site.seeded.dead_review_id)
        assert review is not None and review.status == "queued"
        assert s.query(DeadLetter).filter(DeadLetter.retried_at.is_(None)).count() == 0
    assert site.rt.huey.pending_count() == 1  # its message is on the queue
    page.click("text=Audit log")
    assert page.locator("#audit .action").all_inner_texts() == ["jobs.retry"]
    assert page.locator("#audit .actor").all_inner_texts() == ["github:ops-admin"]


def test_no_request_leaves_the_origin(page: Page, site: Site) -> None:
    sign_in(page, site, "ops-admin")
    requests: list[str] = []
    errors: list[Any] = []
    console: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    page.on("request", record)
    page.on("pageerror", lambda error: errors.append(error))
    page.on("console", lambda message: console.append(message.text))
    for path in PAGES:
        page.goto(f"{site.url}/dashboard{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{site.url}/dashboard/repositories/acme/api/pulls/99")
    page.wait_for_load_state("networkidle")
    assert requests, "the pages made no request at all"
    assert all(url.startswith(f"{site.url}/dashboard") for url in requests), [
        u for u in requests if not u.startswith(site.url)
    ]
    assert any(url.endswith("/dashboard/static/dashboard.css") for url in requests)
    assert errors == []
    assert not [c for c in console if "Content Security Policy" in c]
    assert page.locator("script").count() == 0


def test_overview_charts_render_without_javascript(browser: Browser, site: Site) -> None:
    context = browser.new_context(java_script_enabled=True, viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    sign_in(tab, site, "ops-admin")
    cookies = context.cookies()
    context.close()
    plain = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 1000})
    plain.add_cookies(cookies)
    tab = plain.new_page()
    tab.goto(f"{site.url}/dashboard")
    for chart in ("reviews", "time", "cost", "acceptance"):
        assert tab.locator(f"#chart-{chart} svg rect.bar").count() > 0
    assert tab.locator("#card-reviews .value").inner_text() != "0"
    bar = tab.locator("#chart-reviews svg rect.bar").first.bounding_box()
    assert bar is not None and bar["height"] > 0  # the stylesheet applied, the SVG laid out
    target = os.environ.get("DASHBOARD_SCREENSHOT")
    if target:
        tab.screenshot(path=target, full_page=True)
    plain.close()
