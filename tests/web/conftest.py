"""Fixtures for the web surfaces: a live server whose bot hands over with a full payload, and
Debian's Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import REQUIRE_SERVICES, LiveServer, make_services
from tests.web.scripted_bot import DemoHandoffBot
from warmline.web.screenshots import CHROMIUM_ARGS

CHROMIUM = os.environ.get("WARMLINE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def web_server(sqlite_url) -> Iterator[LiveServer]:
    svc = make_services(sqlite_url, bot=DemoHandoffBot())
    server = LiveServer(svc).start()
    yield server
    server.stop()
    svc.close()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    """Debian's chromium through Playwright; skipped loudly on a developer machine without it,
    a failure in CI (WARMLINE_REQUIRE_SERVICES=1)."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is NOT installed (apt-get install chromium, or `make browser`): browser tests skipped"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        print(f"\n!!! {message} !!!")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
