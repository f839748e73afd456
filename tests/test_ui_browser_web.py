"""More ways in, in a real browser: a watched feed filling the article list while the app serves,
a PDF press release uploaded and cited with its page, and "Add by URL" (a failure, then a page).

Every page comes from a server on 127.0.0.1 started here; Playwright drives Debian's Chromium
against ``python app.py --feed URL --every 10s``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import ANSWER_TIMEOUT_MS, ask, browser_page, skip_without_chromium
from pdf_fixtures import PRESS_RELEASE_TITLE, press_release_pdf
from ui_server import running_app
from web_server import LocalSite, Route, article_page, rss, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FEED_TIMEOUT_MS = 60_000  # a poll every 10 s, the page looks every 5 s
DATE = "Wed, 03 Mar 2021 10:00:00 GMT"
STORIES = {
    "/news/harbour.html": (
        "Dover harbour reopens after storm",
        "The harbour of Dover reopened on Tuesday after the storm damaged two of its piers.",
    ),
    "/news/school.html": (
        "Velmar school wins science prize",
        "Pupils of the Velmar school won the national science prize with a solar-powered boat.",
    ),
    "/news/museum.html": (
        "Ostrava museum returns stolen painting",
        "The Ostrava museum returned a stolen Dutch painting to its owners in Leiden on Friday.",
    ),
}
LATE = (
    "/news/orchard.html",
    "Record cherry harvest in Brillo",
    "Farmers in Brillo picked a record 4,000 tonnes of cherries this summer.",
)
BY_URL = (
    "/extra/lighthouse.html",
    "Kestrel lighthouse relit",
    "The Kestrel lighthouse was relit on Sunday after a decade of darkness.",
)

skip_without_chromium()


def _feed(paths: list[str]) -> Route:
    titles = {**{path: title for path, (title, _) in STORIES.items()}, LATE[0]: LATE[1]}
    return Route(
        rss("Quenton Daily", [(titles[path], path, DATE) for path in paths]),
        content_type="application/rss+xml",
    )


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with serving() as site:
        for path, (title, sentence) in STORIES.items():
            site.routes[path] = Route(article_page(title, [sentence]))
        for path, title, sentence in (LATE, BY_URL):
            site.routes[path] = Route(article_page(title, [sentence]))
        site.routes["/feed.xml"] = _feed(list(STORIES))
        yield site


@pytest.fixture(scope="module")
def app(site: LocalSite, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    args = ["--feed", site.url("/feed.xml"), "--every", "10s"]
    with running_app(tmp_path_factory.mktemp("ui-web"), args) as running:
        yield running


@pytest.fixture
def page(app):
    with browser_page(app[0]) as page:
        yield page


def test_watched_feed_stories_appear_while_serving(site: LocalSite, page, tmp_path: Path) -> None:
    articles = page.locator("#rag-articles")
    for title, _ in STORIES.values():
        articles.get_by_text(title, exact=True).wait_for(timeout=FEED_TIMEOUT_MS)
    site.routes["/feed.xml"] = _feed([LATE[0], *STORIES])  # a new story is published
    articles.get_by_text(LATE[1], exact=True).wait_for(timeout=FEED_TIMEOUT_MS)  # no reload
    page.screenshot(path=str(tmp_path / "feed.png"), full_page=True)


def test_pdf_press_release_is_answered_with_its_page(page, tmp_path: Path) -> None:
    release = tmp_path / "press release.pdf"
    release.write_bytes(press_release_pdf())
    page.set_input_files("#rag-upload input[type=file]", str(release))
    page.locator("#rag-status .rag-status-ok").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert (
        f"press release.pdf: added 1 article ({PRESS_RELEASE_TITLE})"
        in page.locator("#rag-status").inner_text()
    )

    reply = ask(page, "How much will the toll for cars on the Zorblat bridge be?")
    assert "two euros" in reply.locator(".rag-answer-text").inner_text()
    summary = reply.locator("details.rag-cite summary").first
    assert summary.inner_text().startswith(f"[1] {PRESS_RELEASE_TITLE}")
    assert summary.inner_text().endswith("p. 2")
    page.screenshot(path=str(tmp_path / "pdf.png"), full_page=True)


def test_add_by_url_reports_a_failure_then_adds_and_links_a_page(
    site: LocalSite, page, tmp_path: Path
) -> None:
    box = page.locator("#rag-url-box input, #rag-url-box textarea").first
    count = page.locator(".rag-count")
    missing = site.url("/extra/missing.html")
    box.fill(missing)
    page.locator("#rag-url-box button").click()
    page.locator("#rag-status .rag-status-error").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#rag-status").inner_text().strip() == f"{missing}: HTTP 404 Not Found"
    count_before = count.inner_text()
    assert box.input_value() == missing  # kept, to correct

    url = site.url(BY_URL[0])
    box.fill(url)
    page.locator("#rag-url-box button").click()
    page.locator("#rag-status .rag-status-ok").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert f"{url}: added 1 article ({BY_URL[1]})" in page.locator("#rag-status").inner_text()
    page.locator("#rag-articles").get_by_text(BY_URL[1], exact=True).wait_for()
    assert count.inner_text() != count_before and box.input_value() == ""

    reply = ask(page, "When was the Kestrel lighthouse relit?")
    reply.locator("details.rag-cite summary").first.click()
    link = reply.locator("details.rag-cite a.rag-cite-url").first
    assert link.get_attribute("href") == url and link.inner_text() == url
    page.screenshot(path=str(tmp_path / "by-url.png"), full_page=True)
