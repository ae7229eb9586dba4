"""The console in headless Chromium (Debian's package, driven by Playwright) against the stack `make serve`
runs: one stack per test module, one browser per session, a fresh browser context (tab storage and all)
per test. A page that throws or breaks the Content-Security-Policy fails its test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.console.served import CHROMIUM, CHROMIUM_ARGS, Console, Served, served_console

try:
    from playwright.sync_api import Browser, sync_playwright
except ImportError:  # pragma: no cover - playwright is a dev dependency
    sync_playwright = None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if sync_playwright is None:
        pytest.skip("playwright is not installed (make install)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: make test installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with served_console() as stack:
        yield stack


@pytest.fixture
def console(browser: Browser, served: Served) -> Iterator[Console]:
    context = browser.new_context(
        locale="fr-FR", timezone_id="Europe/Paris", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(45_000)
    tab = Console(page=page, served=served)
    page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            tab.problems.append(f"CSP: {message.text}") if "Content Security Policy" in message.text else None
        ),
    )
    page.on("request", lambda request: tab.urls.append(request.url))
    yield tab
    context.close()
    assert not tab.problems, tab.problems
