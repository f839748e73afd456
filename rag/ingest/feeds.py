"""RSS and Atom feeds: read a feed the user gave, fetch each story it links to once.

feedparser reads the feed (from bytes this module fetched: feedparser itself never opens a
connection here). A :class:`FeedReader` remembers, for the life of the process, which stories
it has fetched and the feed's ``ETag``/``Last-Modified``, so polling again asks the server
"anything new?" and fetches only new stories; robots.txt is honoured for the feed and for
every story. Which stories are already indexed is the caller's to say (``known_urls``).

Example:
    >>> reader = FeedReader()  # doctest: +SKIP
    >>> poll = reader.new_stories("https://example.org/feed.xml", known_urls=set())  # doctest: +SKIP
    >>> [article.title for article in poll.articles], poll.problems  # doctest: +SKIP
"""

from __future__ import annotations

import io
import time
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass

from rag.ingest.fetch import FETCHABLE_SCHEMES, Fetcher, FetchError, check_address
from rag.ingest.loaders import IngestError
from rag.ingest.robots import Robots
from rag.ingest.web import PageHints, fetch_articles
from rag.types import Article

MAX_FEED_ITEMS = 200  # stories read from one feed per poll, in the feed's order


@dataclass(frozen=True)
class FeedItem:
    """One story a feed lists: its address, and the title and date the feed gives."""

    url: str
    title: str | None = None
    published: str | None = None  # ISO 8601 day


@dataclass(frozen=True)
class Feed:
    """A feed as read: its address, title and stories (none when ``unchanged``)."""

    url: str
    title: str | None
    items: tuple[FeedItem, ...]
    problems: tuple[str, ...] = ()  # items skipped (a link that is not http(s))


@dataclass(frozen=True)
class FeedPoll:
    """One poll of a feed: the new stories' articles, stories already indexed, problems."""

    feed_url: str
    articles: tuple[Article, ...] = ()
    known: tuple[str, ...] = ()  # story addresses already in the index
    problems: tuple[str, ...] = ()  # one line each, starting with the story's address


def parse_feed(data: bytes, feed_url: str, max_items: int = MAX_FEED_ITEMS) -> Feed:
    """The stories of an RSS or Atom document; relative links are resolved against ``feed_url``.

    Raises:
        IngestError: the document is not an RSS or Atom feed.
    """
    try:
        import feedparser
    except ImportError as error:
        raise IngestError(f"{feed_url}: reading feeds needs feedparser; run `make install`") from error

    parsed = feedparser.parse(io.BytesIO(data))
    if not parsed.get("version") and not parsed.entries:
        raise IngestError(f"{feed_url}: not an RSS or Atom feed")
    items: list[FeedItem] = []
    problems: list[str] = []
    seen: set[str] = set()
    for entry in parsed.entries[:max_items]:
        link = str(entry.get("link") or "").strip()
        if not link:
            continue
        scheme = urllib.parse.urlsplit(link).scheme.lower()
        if scheme and scheme not in FETCHABLE_SCHEMES:
            problems.append(f"{link}: skipped, the feed links to an address that is not http(s)")
            continue
        url = urllib.parse.urljoin(feed_url, link)
        if url in seen:
            continue
        seen.add(url)
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        title = " ".join(str(entry.get("title") or "").split()) or None
        items.append(FeedItem(url, title, time.strftime("%Y-%m-%d", when) if when else None))
    title = " ".join(str(parsed.feed.get("title") or "").split()) or None
    return Feed(feed_url, title, tuple(items), tuple(problems))


class FeedReader:
    """Polls feeds: each story fetched once per process, robots.txt honoured, feeds asked
    "anything new?" with the validators of their last answer.

    Args:
        fetcher: limits and User-Agent of every request (default :class:`Fetcher`).
        robots: the robots.txt rules to follow (default: read through ``fetcher``).
        max_items: stories read from one feed per poll.
    """

    def __init__(
        self, fetcher: Fetcher | None = None, robots: Robots | None = None, max_items: int = MAX_FEED_ITEMS
    ) -> None:
        if max_items < 1:
            raise ValueError(f"max_items must be >= 1, got {max_items}")
        self.fetcher = fetcher or Fetcher()
        self.robots = robots or Robots(self.fetcher)
        self.max_items = max_items
        self._last: dict[str, tuple[dict[str, str], Feed]] = {}  # feed -> (validators, feed)
        self._done: set[str] = set()  # stories fetched, or refused for good, by this reader

    def read(self, feed_url: str) -> Feed:
        """The feed's stories now (the last ones read when the server says nothing changed).

        Raises:
            FetchError: robots.txt forbids it, or the fetch failed.
            IngestError: not an RSS or Atom feed.
        """
        feed_url = check_address(feed_url)
        verdict = self.robots.verdict(feed_url)
        if not verdict.allowed:
            raise FetchError(feed_url, verdict.reason, transient=verdict.transient)
        validators, last = self._last.get(feed_url, ({}, None))
        headers = {}
        if last is not None and validators.get("etag"):
            headers["If-None-Match"] = validators["etag"]
        if last is not None and validators.get("last-modified"):
            headers["If-Modified-Since"] = validators["last-modified"]
        fetched = self.fetcher.get(feed_url, headers=headers, delay_seconds=verdict.delay_seconds)
        if fetched.not_modified and last is not None:
            return last
        feed = parse_feed(fetched.body, fetched.final_url, self.max_items)
        kept = {name: fetched.headers[name] for name in ("etag", "last-modified") if name in fetched.headers}
        self._last[feed_url] = (kept, feed)
        return feed

    def new_stories(self, feed_url: str, known_urls: Collection[str]) -> FeedPoll:
        """Read the feed and fetch the stories neither in ``known_urls`` nor fetched before.

        A story that failed for good (404, no text, forbidden) is not fetched again by this
        reader; one that failed for now (time-out, 5xx) is tried on the next poll.

        Raises:
            FetchError, IngestError: the feed itself could not be read.
        """
        feed = self.read(feed_url)
        articles: list[Article] = []
        known: list[str] = []
        problems = list(feed.problems)
        for item in feed.items:
            if item.url in known_urls:
                known.append(item.url)
                continue
            if item.url in self._done:
                continue
            verdict = self.robots.verdict(item.url)
            if not verdict.allowed:
                problems.append(f"{item.url}: {verdict.reason}")
                if not verdict.transient:
                    self._done.add(item.url)
                continue
            hints = PageHints(title=item.title, published=item.published, source=feed.title)
            try:
                articles.extend(fetch_articles(item.url, self.fetcher, hints, verdict.delay_seconds))
            except FetchError as error:
                problems.append(str(error))
                if not error.transient:
                    self._done.add(item.url)
            except IngestError as error:  # fetched, but no article in it
                problems.append(str(error))
                self._done.add(item.url)
            else:
                self._done.add(item.url)
        return FeedPoll(feed.url, tuple(articles), tuple(known), tuple(problems))
