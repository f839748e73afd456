"""A web server on 127.0.0.1 for the fetch, feed and PDF tests: the internet is never used.

``LocalSite`` serves whatever ``routes`` say (a page, a feed, a redirect, an error, a slow
answer), records each request, and counts how many it was answering at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HTML = "text/html; charset=utf-8"


@dataclass
class Route:
    """What one path answers."""

    body: bytes = b""
    status: int = 200
    content_type: str = HTML
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0  # before the status line
    send_length: bool = True  # False: no Content-Length, the body ends when the connection does


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]


class LocalSite:
    """``routes`` by path; ``requests`` as received; ``most_at_once`` requests in flight together."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.most_at_once = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site._answer(self)

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths_requested(self) -> list[str]:
        return [request.path for request in self.requests]

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Request(handler.path, {k.lower(): v for k, v in handler.headers.items()}))
            self._in_flight += 1
            self.most_at_once = max(self.most_at_once, self._in_flight)
        counted = True
        try:
            route = self.routes.get(handler.path.split("?")[0])
            if route is None:
                route = Route(b"<html><body>Not found</body></html>", status=404)
            time.sleep(route.delay_seconds)
            # In flight until the answer starts: once the client has read it, it may send the next
            # request before this thread gets back here, and that must not count as two at once.
            with self._lock:
                self._in_flight -= 1
                counted = False
            etag = route.headers.get("ETag")
            if etag and handler.headers.get("If-None-Match") == etag:
                handler.send_response(304)
                handler.end_headers()
                return
            handler.send_response(route.status)
            if route.content_type:
                handler.send_header("Content-Type", route.content_type)
            for name, value in route.headers.items():
                handler.send_header(name, value)
            if route.send_length:
                handler.send_header("Content-Length", str(len(route.body)))
            else:
                handler.send_header("Connection", "close")
                handler.close_connection = True
            handler.end_headers()
            handler.wfile.write(route.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a time-out test)
            pass
        finally:
            if counted:
                with self._lock:
                    self._in_flight -= 1


@contextmanager
def serving() -> Iterator[LocalSite]:
    site = LocalSite()
    thread = threading.Thread(target=site.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def article_page(
    title: str, paragraphs: Sequence[str], published: str = "2021-03-03", site: str = "Quenton Daily"
) -> bytes:
    """A news page with its metadata where publishers put it (Open Graph, author, date)."""
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{title}</title>"
        f'<meta property="og:title" content="{title}">'
        f'<meta property="og:site_name" content="{site}">'
        '<meta name="author" content="Ada Byline">'
        f'<meta property="article:published_time" content="{published}">'
        "</head><body><nav><a href='/'>Home</a> | <a href='/world'>World</a></nav>"
        f"<article><h1>{title}</h1>{body}</article>"
        "<footer>Copyright Quenton Daily</footer></body></html>"
    ).encode()


def rss(title: str, items: Sequence[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of ``(title, link, RFC 822 date)`` items."""
    entries = "".join(
        f"<item><title>{item_title}</title><link>{link}</link><pubDate>{date}</pubDate></item>"
        for item_title, link, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://127.0.0.1/</link><description>News</description>"
        f"{entries}</channel></rss>"
    ).encode()
