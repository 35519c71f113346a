"""Headers and exposure (issue 8 §3.8): local /docs under a CSP, nosniff, no-store, HEAD.

The last test opens /docs in Debian's chromium (Playwright), with every request off
this server blocked: Swagger UI must render from local files, with no CSP violation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from argusai.ciapi import apikeys, tenants
from argusai.web.docs import CSP
from tests.conftest import make_settings
from tests.integration.live_server import live_server
from tests.support import app_client, make_runtime


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    rt = make_runtime(make_settings(tmp_path, secret_key="test-server-secret-key-value"))
    yield app_client(rt)
    rt.db.dispose()


def test_docs_page_uses_local_files_only_under_a_csp(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == CSP
    assert "script-src 'self';" in CSP and "'unsafe-eval'" not in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text  # no inline script: CSP allows files from 'self' only
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert sources and all(s.startswith("/docs/static/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.headers["x-content-type-options"] == "nosniff"
        assert "no-store" not in asset.headers.get("cache-control", "")
    assert 'data-openapi-url="/openapi.json"' in r.text
    assert client.get("/openapi.json").status_code == 200


def test_no_cdn_pages_left(client: TestClient) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404
    assert "cdn" not in client.get("/docs").text.lower()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/v1/scout/issues"),
        ("GET", "/v1/scout/repositories"),
        ("GET", "/v1/analyses"),  # 401 without a key: still not to be cached
        ("GET", "/v1/analyses?offset=-1"),  # a 422
        ("POST", "/webhooks/github"),  # 503: not configured
        ("GET", "/v1/nothing-here"),  # a 404 under /v1
    ],
)
def test_api_answers_are_nosniff_and_no_store(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"


def test_authenticated_answers_are_no_store(client: TestClient) -> None:
    rt = client.app.state.argus.runtime  # type: ignore[attr-defined]
    tenants.create_tenant(rt.db, rt.settings, "acme", "free")
    key = apikeys.create_key(rt.db, "acme", "ci").key
    r = client.get("/v1/analyses", headers={"X-API-Key": key})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"


def test_pages_keep_their_own_caching(client: TestClient) -> None:
    for path in ("/scout", "/docs"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers.get("cache-control") != "no-store"


def test_head_health_checks_answer_like_get(client: TestClient) -> None:
    healthz = client.head("/healthz")
    assert healthz.status_code == 200 and healthz.content == b""
    assert healthz.headers["cache-control"] == "no-store"
    # not configured: GET /readyz is 503, and HEAD says the same
    assert client.head("/readyz").status_code == client.get("/readyz").status_code == 503
    spec = client.get("/openapi.json").json()["paths"]
    assert set(spec["/healthz"]) == {"get"}  # HEAD is served, not documented twice


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    rt = make_runtime(make_settings(tmp_path))
    try:
        with live_server(rt) as url:
            yield url
    finally:
        rt.db.dispose()


def test_docs_render_offline_in_a_browser(served: str) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("ARGUS_REQUIRE_SERVICES") == "1":
            pytest.fail(f"ARGUS_REQUIRE_SERVICES=1 but {CHROMIUM} is absent")
        pytest.skip(f"{CHROMIUM} is absent: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed")
    problems: list[str] = []
    outside: list[str] = []

    def on_route(route: Any) -> None:
        if route.request.url.startswith(served):
            route.continue_()
        else:  # offline: anything not from this server is refused, and noted
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            page.route("**/*", on_route)
            page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type in ("error", "warning") else None,
            )
            page.goto(f"{served}/docs")
            page.wait_for_selector(".swagger-ui .info .title")
            assert "ArgusAI" in page.locator(".swagger-ui .info .title").inner_text()
            page.wait_for_selector(".opblock-summary-path")
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert any("/v1/analyses" in p for p in paths)
        finally:
            browser.close()
    assert outside == []
    assert [p for p in problems if "Content Security Policy" in p or "pageerror" in p] == []
