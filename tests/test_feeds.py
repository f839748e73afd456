"""RSS/Atom feeds from a server on 127.0.0.1: each story fetched once, robots.txt honoured,
polling adds only what is new, and `rag index --feed` / `rag ask` end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_fakes import HashingEmbedder
from web_server import LocalSite, Route, article_page, rss, serving

from rag.embed import MODEL_DIMENSION, MODEL_NAME
from rag.index import Index
from rag.index.from_web import FeedWatcher, WebReport, parse_interval, poll_feed
from rag.ingest import IngestError
from rag.ingest.feeds import Feed, FeedItem, FeedReader, parse_feed
from rag.ingest.fetch import Fetcher
from rag.ingest.hosts import HostQueue

RSS = "application/rss+xml"
DATE = "Wed, 03 Mar 2021 10:00:00 GMT"
STORIES = {
    "/news/bridge.html": (
        "Zorblat bridge opens in Quenton",
        "The Zorblat bridge in Quenton opened to traffic on Wednesday after four years of work.",
    ),
    "/news/harbour.html": (
        "Dover harbour reopens after storm",
        "The harbour of Dover reopened on Tuesday after the storm damaged two of its piers.",
    ),
    "/news/school.html": (
        "Velmar school wins science prize",
        "Pupils of the Velmar school won the national science prize with a solar-powered boat.",
    ),
}
FOURTH = (
    "/news/orchard.html",
    "Record cherry harvest in Brillo",
    "Farmers in Brillo picked a record 4,000 tonnes of cherries this summer, the growers' union said.",
)


def feed_items(paths) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [(STORIES[path][0], path, DATE) for path in paths]


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with serving() as site:
        for path, (title, sentence) in STORIES.items():
            site.routes[path] = Route(article_page(title, [sentence]))
        site.routes["/feed.xml"] = Route(rss("Quenton Daily", feed_items(STORIES)), content_type=RSS)
        yield site


def add_fourth_story(site: LocalSite) -> None:
    path, title, sentence = FOURTH
    site.routes[path] = Route(article_page(title, [sentence]))
    items = [(title, path, DATE), *feed_items(STORIES)]
    site.routes["/feed.xml"] = Route(rss("Quenton Daily", items), content_type=RSS)


@pytest.fixture
def index(tmp_path: Path) -> Index:
    return Index(tmp_path / "index", embedder=HashingEmbedder(MODEL_NAME, MODEL_DIMENSION))


def reader() -> FeedReader:
    return FeedReader(Fetcher(hosts=HostQueue()))


# -- reading feeds -----------------------------------------------------------------------


def test_rss_items_with_relative_links_and_dates() -> None:
    data = rss(
        "Quenton Daily",
        [("One", "/a.html", DATE), ("Two", "http://other.example/b", ""), ("Dup", "/a.html", DATE)],
    )
    assert parse_feed(data, "http://127.0.0.1:9/feeds/main.xml") == Feed(
        url="http://127.0.0.1:9/feeds/main.xml",
        title="Quenton Daily",
        items=(
            FeedItem("http://127.0.0.1:9/a.html", "One", "2021-03-03"),
            FeedItem("http://other.example/b", "Two", None),
        ),
    )


def test_atom_feed_and_links_that_are_not_http() -> None:
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Wire</title>'
        b'<entry><title>E</title><link href="https://wire.example/e.html"/><updated>2021-03-04T10:00:00Z</updated></entry>'
        b'<entry><title>F</title><link href="file:///etc/passwd"/></entry></feed>'
    )
    feed = parse_feed(atom, "https://wire.example/atom")
    assert feed.items == (FeedItem("https://wire.example/e.html", "E", "2021-03-04"),)
    # feedparser normalises the link to "file://etc/passwd"; skipped either way
    assert feed.problems == ("file://etc/passwd: skipped, the feed links to an address that is not http(s)",)


def test_a_web_page_is_not_a_feed() -> None:
    with pytest.raises(IngestError, match=r"^http://x\.example/: not an RSS or Atom feed$"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", "http://x.example/")


# -- polling into an index ---------------------------------------------------------------


def test_polling_adds_each_story_once_then_only_the_new_one(index: Index, site: LocalSite) -> None:
    feed = site.url("/feed.xml")
    stories = reader()
    first = poll_feed(index, feed, stories)
    assert sorted(article.url for article in first.added) == sorted(site.url(path) for path in STORIES)
    assert {article.source for article in first.added} == {"Quenton Daily"}
    assert first.problems == () and first.summary() == f"feed {feed}: 3 new articles added, 0 already indexed"

    again = poll_feed(index, feed, reader())  # a new process: only the index says what is known
    assert again.added == () and len(again.known) == 3

    add_fourth_story(site)
    fetched_before = site.paths_requested().count("/news/bridge.html")
    newest = poll_feed(index, feed, stories)
    assert [article.title for article in newest.added] == [FOURTH[1]]
    assert site.paths_requested().count("/news/bridge.html") == fetched_before  # not fetched again
    assert len(index.articles()) == 4


def test_same_story_under_a_new_address_is_skipped_by_its_text(index: Index, site: LocalSite) -> None:
    feed = site.url("/feed.xml")
    poll_feed(index, feed, reader())
    title, sentence = STORIES["/news/bridge.html"]
    site.routes["/news/bridge-copy.html"] = Route(article_page(title, [sentence]))
    site.routes["/feed.xml"] = Route(
        rss("Quenton Daily", [(title, "/news/bridge-copy.html", DATE)]), content_type=RSS
    )
    report = poll_feed(index, feed, reader())
    assert report.added == () and report.known == (site.url("/news/bridge-copy.html"),)
    assert len(index.articles()) == 3


def test_failed_story_is_reported_and_not_fetched_again(index: Index, site: LocalSite) -> None:
    feed = site.url("/feed.xml")
    del site.routes["/news/school.html"]
    stories = reader()
    report = poll_feed(index, feed, stories)
    assert report.problems == (f"{site.url('/news/school.html')}: HTTP 404 Not Found",)
    assert len(report.added) == 2 and not report.failed
    poll_feed(index, feed, stories)
    assert site.paths_requested().count("/news/school.html") == 1


def test_unchanged_feed_is_asked_with_its_etag(index: Index, site: LocalSite) -> None:
    feed = site.url("/feed.xml")
    site.routes["/feed.xml"].headers["ETag"] = '"v1"'
    stories = reader()
    poll_feed(index, feed, stories)
    poll_feed(index, feed, stories)
    feed_requests = [request for request in site.requests if request.path == "/feed.xml"]
    assert [request.headers.get("if-none-match") for request in feed_requests] == [None, '"v1"']


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (Route(b"<html><body><p>Our news</p></body></html>"), "not an RSS or Atom feed"),
        (Route(b"gone", status=404), "HTTP 404 Not Found"),
    ],
)
def test_feed_that_cannot_be_read_changes_nothing(
    index: Index, site: LocalSite, route: Route, reason: str
) -> None:
    site.routes["/feed.xml"] = route
    report = poll_feed(index, site.url("/feed.xml"), reader())
    assert report.failed and report.problems == (f"{site.url('/feed.xml')}: {reason}",)
    assert index.articles() == []


# -- robots.txt --------------------------------------------------------------------------


def test_robots_txt_keeps_a_story_out(index: Index, site: LocalSite) -> None:
    site.routes["/robots.txt"] = Route(
        b"User-agent: rag-news\nDisallow: /news/school", content_type="text/plain"
    )
    report = poll_feed(index, site.url("/feed.xml"), reader())
    school = site.url("/news/school.html")
    assert report.problems == (f"{school}: disallowed by {site.url('/robots.txt')}",)
    assert "/news/school.html" not in site.paths_requested() and len(report.added) == 2


def test_robots_txt_can_forbid_the_feed(index: Index, site: LocalSite) -> None:
    site.routes["/robots.txt"] = Route(b"User-agent: *\nDisallow: /", content_type="text/plain")
    report = poll_feed(index, site.url("/feed.xml"), reader())
    assert report.problems == (f"{site.url('/feed.xml')}: disallowed by {site.url('/robots.txt')}",)
    assert site.paths_requested() == ["/robots.txt"] and index.articles() == []


def test_unreadable_robots_txt_means_wait(index: Index, site: LocalSite) -> None:
    site.routes["/robots.txt"] = Route(b"down", status=503)
    report = poll_feed(index, site.url("/feed.xml"), reader())
    robots = site.url("/robots.txt")
    assert report.problems == (
        f"{site.url('/feed.xml')}: {robots} could not be read (HTTP 503 Service Unavailable); will try again",
    )
    assert index.articles() == []


# -- watching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"), [("30m", 1800.0), ("2h", 7200.0), ("90s", 90.0), ("1d", 86400.0), ("45", 2700.0)]
)
def test_intervals(text: str, seconds: float) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "--every must be a duration like 30m, 2h or 90s, got 'soon'"),
        ("5s", "--every must be at least 10s, got '5s'"),
    ],
)
def test_bad_intervals_name_the_value(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        parse_interval(text)


def test_watcher_polls_until_stopped(index: Index, site: LocalSite) -> None:
    reports: list[WebReport] = []
    watcher = FeedWatcher(
        index, [site.url("/feed.xml")], every_seconds=10, reader=reader(), on_report=reports.append
    )
    thread = watcher.start()
    watcher.stop()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(reports) == 1 and len(reports[0].added) == 3
    with pytest.raises(ValueError, match="every_seconds must be >= 10, got 1"):
        FeedWatcher(index, ["http://x/"], every_seconds=1)
    with pytest.raises(ValueError, match="feeds must name at least one feed address, got none"):
        FeedWatcher(index, [])


def test_cli_feed_options_are_checked(tmp_path: Path, capsys) -> None:
    from rag.cli import main

    assert main(["index", "--every", "30m", "--index", str(tmp_path / "i")]) == 2
    assert "--every needs --feed URL" in capsys.readouterr().err
    assert main(["index", "seeds/", "--feed", "http://x/", "--index", str(tmp_path / "i")]) == 2
    assert "give either --feed URL or PATH" in capsys.readouterr().err
    assert main(["index", "--feed", "http://x/", "--every", "5s", "--index", str(tmp_path / "i")]) == 2
    assert "--every must be at least 10s, got '5s'" in capsys.readouterr().err
    assert main(["serve", "--every", "30m"]) == 2
    assert "rag serve: --every needs --feed URL" in capsys.readouterr().err


def test_cli_feed_that_fails_is_an_error_and_changes_nothing(index: Index, site: LocalSite, capsys) -> None:
    from rag.cli import main

    index.add([])  # save an empty snapshot: the index exists
    index.save()
    current = (index.index_dir / "CURRENT").read_text()
    missing = site.url("/no-feed.xml")
    assert main(["index", "--feed", missing, "--index", str(index.index_dir)]) == 1
    assert capsys.readouterr().err.splitlines() == [f"error: {missing}: HTTP 404 Not Found"]
    assert (index.index_dir / "CURRENT").read_text() == current


@pytest.mark.slow
def test_feed_to_answer_end_to_end(tmp_path: Path, site: LocalSite, capsys) -> None:
    """The issue's "done when": 3 stories, then none, then exactly the new one, answered with its URL."""
    from rag.cli import main

    feed = site.url("/feed.xml")
    index_dir = str(tmp_path / "fresh")
    assert main(["index", "--feed", feed, "--index", index_dir]) == 0
    assert f"feed {feed}: 3 new articles added, 0 already indexed" in capsys.readouterr().out
    assert main(["index", "--feed", feed, "--index", index_dir]) == 0
    assert f"feed {feed}: 0 new articles added, 3 already indexed" in capsys.readouterr().out
    add_fourth_story(site)
    assert main(["index", "--feed", feed, "--index", index_dir]) == 0
    out = capsys.readouterr().out
    assert f"feed {feed}: 1 new article added, 3 already indexed" in out and f"+ {FOURTH[1]}" in out

    assert (
        main(
            ["ask", "How many tonnes of cherries did farmers in Brillo pick?", "--index", index_dir, "--json"]
        )
        == 0
    )
    answer = json.loads(capsys.readouterr().out)
    assert answer["found"] and "4,000" in answer["text"] and "Brillo" in answer["sentence"]
    assert answer["citations"][0]["url"] == site.url(FOURTH[0])
    assert answer["citations"][0]["title"] == FOURTH[1]
