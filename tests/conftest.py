"""Shared fixtures: a real headless Chromium for the tests of our self-contained HTML pages.

`browser` (session-scoped): Debian's /usr/bin/chromium, launched once per test run by
Playwright with the flags this sandboxed, offline machine needs. We never download Playwright's
own browsers. When Chromium or Playwright is missing, every test that asks for it FAILS (it
does not skip) and says to run `make setup`, which installs both (.ci/install-chromium and the
`test` extra).

`browser_page` (per test): a `BrowserPage` with a fresh `page` (its own browser context, so no
state leaks between tests) that records what a page test must see none of:

    def test_my_page(browser_page, tmp_path):
        path = save_something(tmp_path / "x.html")
        browser_page.open(path)              # file:// URL; waits for the load event
        browser_page.page.click("#next")     # any Playwright sync API call
        assert browser_page.errors == []     # console errors and uncaught exceptions
        assert browser_page.external_requests == []   # anything not file: or data:

`errors` holds "console: <text>" for each console message of type error and
"pageerror: <message>" for each uncaught exception, in the order they happened.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
# Headless in a root sandbox with no network: without the background-networking flags Chromium
# keeps trying to reach Google's services and floods the log with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SETUP_HINT = "run `make setup` (it installs Chromium via .ci/install-chromium and playwright)"


@dataclass
class BrowserPage:
    """A Playwright page plus everything it reported that a clean page never reports."""

    page: Any  # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)

    def open(self, path: str | os.PathLike[str]) -> None:
        """Load a local file as file:// and wait until it has loaded (scripts have run)."""
        self.page.goto(Path(path).resolve().as_uri(), wait_until="load")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium (a playwright.sync_api.Browser) shared by the whole test run."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: {SETUP_HINT}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the playwright package is not installed: {SETUP_HINT}", pytrace=False)
    # Playwright gives each launch a fresh, empty profile directory (the user-data-dir) itself.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[BrowserPage]:
    """A fresh page in its own context, recording console errors, page errors and requests."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    recorded = BrowserPage(page)
    page.on(
        "console",
        lambda msg: recorded.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: recorded.errors.append(f"pageerror: {exc}"))
    page.on(
        "request",
        lambda req: None
        if req.url.startswith(("file:", "data:"))
        else recorded.external_requests.append(req.url),
    )
    try:
        yield recorded
    finally:
        context.close()
