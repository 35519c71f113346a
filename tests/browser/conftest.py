"""Debian's chromium driven by Playwright, for the browser tests (never ``playwright install``).

Skipped when /usr/bin/chromium or playwright is absent, unless ARGUS_REQUIRE_SERVICES=1 (CI),
where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def unavailable(reason: str) -> None:
    """Skip, or fail where the browser is required (CI)."""
    if os.environ.get("ARGUS_REQUIRE_SERVICES") == "1":
        pytest.fail(f"ARGUS_REQUIRE_SERVICES=1 but {reason} (run .ci/browser-setup.sh)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is absent: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed: pip install playwright (no browser download)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
