"""robots.txt for feeds being polled: a host that asks this product not to fetch is left alone.

Rules follow RFC 9309: a missing robots.txt (any 4xx) allows everything; one that cannot be
read (time-out, 5xx) disallows the host until it can. Each host's file is read once and kept
for ``max_age_seconds``. The crawl delay a host asks for spaces this product's requests to it.
"""

from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.robotparser
from dataclasses import dataclass

from rag.ingest.fetch import ROBOTS_NAME, Fetcher, FetchError
from rag.ingest.hosts import host_of

ROBOTS_MAX_AGE_SECONDS = 3600.0
MAX_CRAWL_DELAY_SECONDS = 60.0  # a larger delay is capped rather than stalling a poll for hours
CLIENT_ERRORS = range(400, 500)


@dataclass(frozen=True)
class Verdict:
    """Whether an address may be fetched, why not, and how long to leave between requests."""

    allowed: bool
    reason: str = ""
    delay_seconds: float = 0.0
    transient: bool = False  # refused only until robots.txt can be read


class Robots:
    """robots.txt verdicts per host, read through ``fetcher`` and cached."""

    def __init__(self, fetcher: Fetcher, max_age_seconds: float = ROBOTS_MAX_AGE_SECONDS) -> None:
        if max_age_seconds < 0:
            raise ValueError(f"max_age_seconds must be >= 0, got {max_age_seconds}")
        self.fetcher = fetcher
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._rules: dict[str, tuple[float, urllib.robotparser.RobotFileParser | None, str]] = {}

    def verdict(self, url: str) -> Verdict:
        """May ``url`` be fetched by this product, and with what delay.

        Example:
            >>> Robots(Fetcher()).verdict("https://example.org/news/1.html")  # doctest: +SKIP
            Verdict(allowed=True, reason='', delay_seconds=0.0)
        """
        host = host_of(url)
        parser, problem = self._parser(host)
        robots_url = f"{host}/robots.txt"
        if parser is None:
            return Verdict(
                False, f"{robots_url} could not be read ({problem}); will try again", transient=True
            )
        if not parser.can_fetch(ROBOTS_NAME, url):
            return Verdict(False, f"disallowed by {robots_url}")
        delay = parser.crawl_delay(ROBOTS_NAME)
        return Verdict(True, "", min(float(delay or 0.0), MAX_CRAWL_DELAY_SECONDS))

    def _parser(self, host: str) -> tuple[urllib.robotparser.RobotFileParser | None, str]:
        with self._lock:
            cached = self._rules.get(host)
            if cached is not None and time.monotonic() - cached[0] < self.max_age_seconds:
                return cached[1], cached[2]
        parser: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser()
        problem = ""
        robots_url = urllib.parse.urljoin(host, "/robots.txt")
        try:
            fetched = self.fetcher.get(robots_url)
        except FetchError as error:
            if error.status in CLIENT_ERRORS:  # no robots.txt: no rules
                assert parser is not None
                parser.parse([])
            else:
                parser, problem = None, str(error).removeprefix(f"{robots_url}: ")
        else:
            assert parser is not None
            parser.parse(fetched.body.decode("utf-8", errors="replace").splitlines())  # UTF-8 by RFC 9309
        with self._lock:
            # An unreadable file is asked for again on the next poll, not kept for an hour.
            if parser is not None:
                self._rules[host] = (time.monotonic(), parser, problem)
        return parser, problem
