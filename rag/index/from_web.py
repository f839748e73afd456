"""Web pages and feed stories into an index: ``rag index URL``, ``--feed``, "Add by URL", and
the watcher that keeps a feed's stories coming while ``rag serve`` runs.

Stories already indexed are skipped by address before anything is fetched, and by content
hash when added (``Index.add``); what is added goes in one atomic snapshot, so a failure
leaves the index as it was.

Example:
    >>> report = poll_feed(index, "https://example.org/feed.xml", FeedReader())  # doctest: +SKIP
    >>> len(report.added), report.problems  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.index import SearchIndex
from rag.ingest.feeds import FeedReader
from rag.ingest.fetch import Fetcher
from rag.ingest.loaders import IngestError
from rag.ingest.web import fetch_pages
from rag.types import Article

logger = logging.getLogger(__name__)

MIN_POLL_SECONDS = 10.0  # feeds are not polled more often than this
DEFAULT_POLL_SECONDS = 30 * 60.0
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """``"30m"`` -> 1800.0; units ``s``, ``m``, ``h``, ``d`` (a bare number is minutes).

    Raises:
        ValueError: not a duration, or shorter than ``MIN_POLL_SECONDS``.
    """
    match = _INTERVAL.match(text or "")
    if not match:
        raise ValueError(f"--every must be a duration like 30m, 2h or 90s, got {text!r}")
    seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "m").lower()]
    if seconds < MIN_POLL_SECONDS:
        raise ValueError(f"--every must be at least {MIN_POLL_SECONDS:g}s, got {text!r}")
    return seconds


@dataclass(frozen=True)
class WebReport:
    """What adding web pages or a feed's stories did.

    Attributes:
        source: the feed's address, or "" for pages given one by one.
        added: articles new to the index.
        known: addresses (or, for the same text under another address, titles) already indexed.
        problems: one line per address that failed, starting with it.
        failed: nothing could be read (the feed, or every page given).
    """

    source: str
    added: tuple[Article, ...] = ()
    known: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    failed: bool = False

    def summary(self) -> str:
        """``feed URL: 1 new article added, 3 already indexed`` (one line)."""
        where = f"feed {self.source}: " if self.source else ""
        count = len(self.added)
        return (
            f"{where}{count} new article{'' if count == 1 else 's'} added, {len(self.known)} already indexed"
        )


def indexed_urls(index: SearchIndex) -> set[str]:
    """The addresses the index's articles were fetched from."""
    return {article.url for article in index.articles() if article.url}


def _add(
    index: SearchIndex,
    source: str,
    articles: Sequence[Article],
    known: Sequence[str],
    problems: Sequence[str],
) -> WebReport:
    added: tuple[Article, ...] = ()
    known = list(known)
    if articles:
        report = index.add(list(articles))
        added = tuple(report.added)
        known += [article.url or article.title for article in report.duplicates]
    return WebReport(source, added, tuple(known), tuple(problems))


def add_pages(index: SearchIndex, urls: Sequence[str], fetcher: Fetcher | None = None) -> WebReport:
    """Fetch the pages at ``urls`` (not those already indexed) and add them in one snapshot.

    A page that cannot be fetched or has no article is a problem line; the others are added.
    """
    pages = fetch_pages(urls, indexed_urls(index), fetcher)
    report = _add(index, "", pages.articles, pages.known, pages.problems)
    nothing_read = not pages.articles and not pages.known
    return WebReport(report.source, report.added, report.known, report.problems, failed=nothing_read)


def poll_feed(index: SearchIndex, feed_url: str, reader: FeedReader) -> WebReport:
    """Read the feed once and add its new stories in one snapshot.

    The feed's own failure (unreachable, not a feed, forbidden by robots.txt) is a report with
    ``failed`` set and one problem line; the index is unchanged.
    """
    try:
        poll = reader.new_stories(feed_url, indexed_urls(index))
    except IngestError as error:
        return WebReport(feed_url, problems=(str(error),), failed=True)
    return _add(index, poll.feed_url, poll.articles, poll.known, poll.problems)


class FeedWatcher:
    """Polls feeds into an index every ``every_seconds`` until stopped.

    Args:
        index: where new stories go.
        feeds: the feeds' addresses.
        every_seconds: time between the starts of two polls (at least ``MIN_POLL_SECONDS``).
        reader: the feed reader (default: a new one, with its own memory of stories fetched).
        on_report: called with each feed's report after each poll (default: logged).
    """

    def __init__(
        self,
        index: SearchIndex,
        feeds: Sequence[str],
        every_seconds: float = DEFAULT_POLL_SECONDS,
        reader: FeedReader | None = None,
        on_report: Callable[[WebReport], None] | None = None,
    ) -> None:
        if not feeds:
            raise ValueError("feeds must name at least one feed address, got none")
        if every_seconds < MIN_POLL_SECONDS:
            raise ValueError(f"every_seconds must be >= {MIN_POLL_SECONDS:g}, got {every_seconds}")
        self.index = index
        self.feeds = tuple(feeds)
        self.every_seconds = every_seconds
        self.reader = reader or FeedReader()
        self.on_report = on_report or _log_report
        self.stopped = threading.Event()

    def poll_once(self) -> list[WebReport]:
        """Poll every feed once; an error in one (a locked index, a full disk) is its report."""
        reports = []
        for feed in self.feeds:
            try:
                report = poll_feed(self.index, feed, self.reader)
            except Exception as error:  # the watcher must outlive one bad poll
                logger.exception("polling %s failed", feed)
                report = WebReport(feed, problems=(f"{feed}: {type(error).__name__}: {error}",), failed=True)
            self.on_report(report)
            reports.append(report)
        return reports

    def run(self, polls: int | None = None) -> None:
        """Poll now, then every ``every_seconds``, until :meth:`stop` (or ``polls`` polls)."""
        done = 0
        while not self.stopped.is_set():
            self.poll_once()
            done += 1
            if polls is not None and done >= polls:
                return
            self.stopped.wait(self.every_seconds)

    def start(self) -> threading.Thread:
        """Run in a background (daemon) thread; returns it."""
        thread = threading.Thread(target=self.run, name="feed-watcher", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopped.set()


def _log_report(report: WebReport) -> None:
    logger.info("%s", report.summary())
    for problem in report.problems:
        logger.warning("%s", problem)
