"""Browser tier: headless Chromium (Debian's `chromium`, installed by bin/setup) driven with
Playwright against the local stack (tests/local_stack.py). Each test leaves a screenshot of the
page as it ended under .local/test-artifacts/browser/, to be looked at, pass or fail."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Headless and quiet: no GPU, no sandbox (CI runs as root), no calls home nor updates.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / ".local" / "test-artifacts" / "browser"
# Generous: two cores are shared by many test runs, and a wait ends as soon as its outcome shows.
WAIT_MS = 60_000


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: bin/setup installs Debian's chromium when run as root")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")
    context.set_default_timeout(WAIT_MS)
    tab = context.new_page()
    yield tab
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=ARTIFACTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}.png")
    context.close()
