"""Pages by URL: fetched from a server on 127.0.0.1 started here, never the internet.

Every failure is one line that starts with the address, and leaves the index as it was.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from index_fakes import HashingEmbedder
from pdf_fixtures import PAGE_TWO_START, PRESS_RELEASE_TITLE, press_release_pdf, scanned_pdf
from web_server import LocalSite, Route, article_page, serving

from rag.embed import MODEL_DIMENSION, MODEL_NAME
from rag.index import Index
from rag.index.from_web import add_pages
from rag.ingest import load_articles
from rag.ingest.fetch import Fetcher, FetchError, FetchSettings, check_address, user_agent
from rag.ingest.hosts import HostQueue
from rag.ingest.web import fetch_articles
from rag.types import Article, Citation, Span
from rag.ui import library
from rag.ui.format import format_citation

BRIDGE = article_page(
    "Zorblat bridge opens in Quenton",
    [
        "The Zorblat bridge in Quenton opened to traffic on Wednesday after four years of work.",
        "Engineers said the bridge carries two railway lines and a footpath across the river.",
    ],
)
BRIDGE_TEXT = (
    "Zorblat bridge opens in Quenton\n\n"
    "The Zorblat bridge in Quenton opened to traffic on Wednesday after four years of work.\n\n"
    "Engineers said the bridge carries two railway lines and a footpath across the river."
)
ALREADY = Article(
    doc_id="harbour",
    title="Harbour reopens",
    text="Harbour reopens\n\nThe harbour of Dover reopened on Monday.",
)
QUICK = FetchSettings(timeout_seconds=0.5, max_bytes=4000, max_redirects=3)


@pytest.fixture(scope="module")
def site() -> Iterator[LocalSite]:
    with serving() as site:
        site.routes.update(
            {
                "/bridge.html": Route(BRIDGE),
                "/old-bridge": Route(status=301, headers={"Location": "/bridge.html"}),
                "/loop": Route(status=302, headers={"Location": "/loop"}),
                "/to-file": Route(status=302, headers={"Location": "file:///etc/passwd"}),
                "/slow.html": Route(BRIDGE, delay_seconds=2.0),
                "/big.html": Route(b"<p>" + b"x" * 5000 + b"</p>"),
                "/big-stream.html": Route(b"<p>" + b"x" * 5000 + b"</p>", send_length=False),
                "/photo.png": Route(b"\x89PNG\r\n\x1a\n" + bytes(64), content_type="image/png"),
                "/broken.html": Route(b"oops", status=500),
                "/empty.html": Route(b"<html><head><title>Nothing</title></head><body></body></html>"),
                "/release.pdf": Route(press_release_pdf(), content_type="application/pdf"),
                "/scan.pdf": Route(scanned_pdf(), content_type="application/pdf"),
            }
        )
        yield site


@pytest.fixture
def index(tmp_path: Path) -> Index:
    """An index on disk holding one article (the CLI can load it: the real model's name and size)."""
    index = Index(tmp_path / "index", embedder=HashingEmbedder(MODEL_NAME, MODEL_DIMENSION))
    index.add([ALREADY])
    return index


def state(index: Index) -> tuple[str, list[Article]]:
    """What must not change when an add fails: the live snapshot and the articles in it."""
    assert index.index_dir is not None
    stored = Index.load(index.index_dir, embedder=HashingEmbedder(MODEL_NAME, MODEL_DIMENSION))
    return (index.index_dir / "CURRENT").read_text(), stored.articles()


# -- the happy paths ---------------------------------------------------------------------


def test_page_becomes_an_article_with_its_metadata_and_address(site: LocalSite) -> None:
    [article] = fetch_articles(site.url("/bridge.html"))
    assert article.title == "Zorblat bridge opens in Quenton"
    assert article.text == BRIDGE_TEXT  # main text only: no navigation, no footer
    assert (article.source, article.published, article.author) == (
        "Quenton Daily",
        "2021-03-03",
        "Ada Byline",
    )
    assert (article.url, article.path, article.pages) == (site.url("/bridge.html"), None, ())
    assert site.requests[-1].headers["user-agent"] == user_agent()
    assert user_agent().startswith("rag-news/")


def test_redirect_of_the_given_address_is_followed_and_the_address_kept(site: LocalSite) -> None:
    [article] = fetch_articles(site.url("/old-bridge"))
    assert article.text == BRIDGE_TEXT and article.url == site.url("/old-bridge")
    assert site.paths_requested()[-2:] == ["/old-bridge", "/bridge.html"]


def test_pdf_by_url_keeps_its_pages(site: LocalSite) -> None:
    [article] = fetch_articles(site.url("/release.pdf"))
    assert article.title == PRESS_RELEASE_TITLE and article.pages == (0, PAGE_TWO_START)
    assert article.url == site.url("/release.pdf") and article.path is None


def test_add_pages_adds_new_ones_once(index: Index, site: LocalSite) -> None:
    url = site.url("/bridge.html")
    report = add_pages(index, [url, url])
    assert [article.url for article in report.added] == [url] and report.problems == ()
    requests = len(site.requests)
    again = add_pages(index, [url])
    assert again.added == () and again.known == (url,)
    assert len(site.requests) == requests  # skipped by address: not even fetched
    same_text = add_pages(index, [site.url("/old-bridge")])  # another address, the same story
    assert same_text.added == () and same_text.known == (site.url("/old-bridge"),)
    assert len(index.articles()) == 2


# -- failures: one line naming the address, the index unchanged -------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/slow.html", "no complete answer within 0.5 s"),
        ("/big.html", "5,007 bytes, over the limit of 4,000 bytes"),
        ("/big-stream.html", "over the limit of 4,000 bytes"),
        ("/loop", "more than 3 redirects (last to {base}/loop)"),
        ("/to-file", "redirected to file:///etc/passwd, which is not an http(s) address"),
        ("/photo.png", "not a web page or a PDF (content type image/png)"),
        ("/missing.html", "HTTP 404 Not Found"),
        ("/broken.html", "HTTP 500 Internal Server Error"),
        ("/empty.html", "no article text found in the HTML"),
        ("/scan.pdf", "the PDF has no text layer (a scanned image?); run OCR on it first (e.g. ocrmypdf)"),
    ],
)
def test_failed_page_is_one_line_and_changes_nothing(
    index: Index, site: LocalSite, path: str, reason: str
) -> None:
    url = site.url(path)
    before = state(index)
    report = add_pages(index, [url], Fetcher(QUICK, hosts=HostQueue()))
    assert report.problems == (f"{url}: {reason.format(base=site.url(''))}",)
    assert report.added == () and report.failed
    assert state(index) == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "file:///etc/passwd",
            "file:///etc/passwd: only http:// and https:// addresses are fetched, not file://",
        ),
        (
            "ftp://example.org/a.html",
            "ftp://example.org/a.html: only http:// and https:// addresses are fetched, not ftp://",
        ),
        ("example.org/a.html", "example.org/a.html: give a full address starting with http:// or https://"),
        ("http:///a.html", "http:///a.html: the address has no host name"),
    ],
)
def test_only_http_addresses_are_fetched(index: Index, url: str, message: str) -> None:
    with pytest.raises(FetchError, match=f"^{message}$"):
        check_address(url)
    before = state(index)
    assert add_pages(index, [url]).problems == (message,)
    assert state(index) == before


def test_closed_port_says_it_cannot_connect(index: Index) -> None:
    from ui_server import free_port

    url = f"http://127.0.0.1:{free_port()}/story.html"
    before = state(index)
    [problem] = add_pages(index, [url]).problems
    assert problem.startswith(f"{url}: cannot connect (") and "refused" in problem.lower()
    assert state(index) == before


def test_one_request_at_a_time_per_host() -> None:
    with serving() as site:  # its own server: no answer of another test still in flight
        site.routes["/a-bit-slow.html"] = Route(BRIDGE, delay_seconds=0.3)
        fetcher = Fetcher(hosts=HostQueue())
        threads = [
            threading.Thread(target=fetcher.get, args=(site.url("/a-bit-slow.html"),)) for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(site.requests) == 3 and site.most_at_once == 1


def test_fetch_settings_name_the_bad_value() -> None:
    with pytest.raises(ValueError, match="timeout_seconds must be > 0, got 0"):
        FetchSettings(timeout_seconds=0)
    with pytest.raises(ValueError, match="max_bytes must be >= 1, got 0"):
        FetchSettings(max_bytes=0)


def test_addresses_given_as_paths_are_not_fetched_by_load_articles() -> None:
    result = load_articles(["https://example.org/story.html"])
    assert result.articles == []
    assert result.warnings == [
        "https://example.org/story.html: skipped, a web address; fetch it with `rag index URL` (rag.ingest.web)"
    ]


# -- the web chat's "Add by URL" and the CLI ----------------------------------------------


def test_add_by_url_in_the_library(index: Index, site: LocalSite) -> None:
    url = site.url("/bridge.html")
    outcome = library.add_url(index, f"  {url} ")
    assert outcome.ok and [article.url for article in outcome.added] == [url]
    assert library.add_url(index, url).duplicates == tuple(outcome.added)
    before = state(index)
    missing = library.add_url(index, site.url("/missing.html"))
    assert missing.problems == (f"{site.url('/missing.html')}: HTTP 404 Not Found",) and not missing.ok
    assert "HTTP 404 Not Found" in library.summary_html(library.UploadSummary([missing]))
    assert library.add_url(index, "").problems == (
        "Type or paste a web address (http:// or https://) first.",
    )
    assert state(index) == before


def test_cli_reports_a_failed_address_and_changes_nothing(index: Index, site: LocalSite, capsys) -> None:
    from rag.cli import main

    url = site.url("/missing.html")
    before = state(index)
    assert main(["index", url, "--index", str(index.index_dir)]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"error: {url}: HTTP 404 Not Found"]
    assert "added 0 article(s), 0 already indexed" in captured.out
    assert state(index) == before


def test_citation_links_to_the_page_it_came_from_and_only_to_web_pages() -> None:
    text = "The Zorblat bridge in Quenton opened to traffic on Wednesday."
    whole = Span(0, len(text))
    citation = Citation(
        "d1",
        "Zorblat bridge",
        "Quenton Daily",
        "2021-03-03",
        None,
        "article",
        text,
        Span(4, 18),
        whole,
        text,
        whole,
        url='https://q.example/a?b=1&c="2"',
    )
    html = format_citation(1, citation, "Zorblat bridge")
    assert (
        'href="https://q.example/a?b=1&amp;c=&quot;2&quot;"' in html
        and 'rel="noopener noreferrer nofollow"' in html
    )
    for hostile in ("javascript:alert(1)", "file:///etc/passwd"):
        assert "<a " not in format_citation(1, replace(citation, url=hostile), "Zorblat bridge")


def test_rebuild_keeps_fetched_pages(index: Index, site: LocalSite, tmp_path: Path, monkeypatch) -> None:
    """`rag index --rebuild` reads the recorded files again; a fetched page has none, so its stored
    text comes back as it is (with its address)."""
    import rag.index
    from rag.cli import main

    story = tmp_path / "story.txt"
    story.write_text(
        "Council approves budget\n\nThe council approved the budget on Monday.", encoding="utf-8"
    )
    index.add([story])
    url = site.url("/bridge.html")
    add_pages(index, [url])
    given: list[object] = []

    class Built:
        build_warnings: list[str] = []
        last_embedded = 0

        def articles(self) -> list[Article]:
            return []

        def __len__(self) -> int:
            return 0

    def fake_build(sources, index_dir, progress=False, **backend):  # type: ignore[no-untyped-def]
        given.extend(sources)
        return Built()

    monkeypatch.setattr(rag.index, "build_index", fake_build)
    assert main(["index", "--rebuild", "--index", str(index.index_dir)]) == 0
    assert [source for source in given if isinstance(source, str)] == [str(story.resolve())]
    assert [(source.url, source.text) for source in given if isinstance(source, Article)] == [
        (url, BRIDGE_TEXT)
    ]
