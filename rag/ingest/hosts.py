"""One request at a time per host: what keeps this product polite to the sites it fetches from."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager


def host_of(url: str) -> str:
    """``scheme://host:port`` of ``url``, lower-case: one queue of requests per host."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.netloc or '').lower()}"


class HostQueue:
    """At most one request at a time per host in this process, spaced by a host's delay."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last_done: dict[str, float] = {}

    @contextmanager
    def turn(self, host: str, delay_seconds: float = 0.0) -> Iterator[None]:
        """Wait for ``host``'s previous request (and ``delay_seconds`` after it), then go."""
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        with lock:
            wait = self._last_done.get(host, -float("inf")) + delay_seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                yield
            finally:
                self._last_done[host] = time.monotonic()


#: Shared by every fetcher of the process: the web chat's "Add by URL" and a feed watcher
#: take turns on a host rather than hitting it at once.
HOSTS = HostQueue()
