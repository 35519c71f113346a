"""The /scout page in a real headless browser: Debian's chromium driven by Playwright.

The app runs under uvicorn in a thread on 127.0.0.1; the browser loads the page, filters
by language and difficulty (the vendored script submits the form on change), and the
test reads what a visitor sees. Skipped when /usr/bin/chromium or playwright is absent,
unless ARGUS_REQUIRE_SERVICES=1 (CI), where that is a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from argusai.scout.routes import router
from argusai.web.app import create_app
from tests.browser.seed import HOSTILE_TITLE, seed_catalogue
from tests.conftest import make_settings
from tests.integration.live_server import live_app
from tests.support import make_runtime

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    rt = make_runtime(make_settings(tmp_path))
    seed_catalogue(rt.db)
    app = create_app(rt)
    app.include_router(router)
    try:
        with live_app(app, rt.settings) as url:
            yield url
    finally:
        rt.db.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=True)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def visible_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#results .issue .title").all_inner_texts()]


def links(page: Page) -> list[str | None]:
    anchors = page.locator("#results a.issue-link")
    return [anchors.nth(i).get_attribute("href") for i in range(anchors.count())]


def test_filter_by_language_and_difficulty(page: Page, base_url: str) -> None:
    errors: list[Any] = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(f"{base_url}/scout")
    assert page.locator("#count").inner_text() == "7 issues"

    with page.expect_navigation():
        page.select_option("#language", "Python")  # the vendored script submits the form
    assert "language=Python" in page.url
    assert sorted(visible_titles(page)) == [
        "Add a --verbose flag",
        "Fix typo in README",
        "Speed up the parser",
    ]

    with page.expect_navigation():
        page.select_option("#difficulty", "beginner")
    assert page.locator("#count").inner_text() == "2 issues"
    assert visible_titles(page) == ["Add a --verbose flag", "Fix typo in README"]
    assert links(page) == [
        "https://github.com/pyorg/pytool/issues/1",
        "https://github.com/pyorg/pytool/issues/3",
    ]
    summaries = page.locator("#results .summary").all_inner_texts()
    assert summaries == ["Add a flag to the CLI.", "Correct a typo."]
    assert page.locator("#language").input_value() == "Python"
    assert errors == []


def test_search_box_and_hostile_title(page: Page, base_url: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base_url}/scout")
    page.fill("#q", "quotes")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert visible_titles(page) == [" ".join(HOSTILE_TITLE.split())]
    assert links(page) == ["https://github.com/rustorg/engine/issues/20"]
    assert page.locator("#results img").count() == 0
    assert page.locator("#results script").count() == 0
    assert "<b>this</b>" in page.locator("#results .summary").inner_text()  # shown as text
    assert dialogs == []


def test_no_match_shows_empty_state(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/scout?language=Rust&difficulty=advanced")
    assert page.locator("#empty").is_visible()
    assert page.locator("#count").inner_text() == "0 issues"
