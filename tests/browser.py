"""What the browser tests share: Debian's Chromium under Playwright, a page on the app, asking."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ANSWER_TIMEOUT_MS = 90_000


def skip_without_chromium() -> None:
    """Skip the calling test module when Debian's Chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's Chromium (`make browser`, or "
            "`apt-get install chromium` as root) to run the browser test",
            allow_module_level=True,
        )


@contextmanager
def browser_page(url: str) -> Iterator[object]:
    """A Chromium page on the chat at ``url``, its question box ready."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.wait_for_selector("#rag-question textarea")
        yield page
        browser.close()


def ask(page, question: str):  # type: ignore[no-untyped-def]
    """Type ``question``, press Enter, wait for one more reply; returns the newest reply."""
    replies = page.locator("#rag-chat .rag-msg")
    before = replies.count()
    page.fill("#rag-question textarea", question)
    page.keyboard.press("Enter")
    replies.nth(before).wait_for(timeout=ANSWER_TIMEOUT_MS)
    return replies.nth(before)
