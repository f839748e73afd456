"""Fetch one web address, politely and safely: the only module that opens network connections.

Only ``http://`` and ``https://`` addresses the user gave (or a feed they gave lists) are
fetched; HTTP redirects of that request are followed (a few, to http(s) only), links inside
pages never. Every request names the product in its User-Agent, has a time limit and a size
cap, and waits for any other request to the same host in this process to finish first.
Every failure is a :class:`FetchError` whose one-line message starts with the address.

Example:
    >>> page = Fetcher().get("https://example.org/story.html", accept=HTML_TYPES)  # doctest: +SKIP
    >>> page.content_type, len(page.body)  # doctest: +SKIP
"""

from __future__ import annotations

import http.client
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import Message
from importlib.metadata import PackageNotFoundError, version

from rag.ingest.hosts import HOSTS, HostQueue, host_of
from rag.ingest.loaders import MAX_FILE_BYTES, MEGABYTE, IngestError

FETCHABLE_SCHEMES = ("http", "https")
HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf",)
DEFAULT_TIMEOUT_SECONDS = 20.0
DEFAULT_MAX_REDIRECTS = 5
READ_CHUNK_BYTES = 64 * 1024
REDIRECT_CODES = (301, 302, 303, 307, 308)
NOT_MODIFIED = 304
#: How a refused content type is described: "not a web page or PDF (content type image/png)".
TYPE_NAMES = {"text/html": "a web page", "application/xhtml+xml": "a web page", "application/pdf": "a PDF"}
ROBOTS_NAME = "rag-news"  # the token robots.txt rules name to address this product


def user_agent() -> str:
    """``rag-news/0.1.0 (+question answering over news; fetches only addresses its user gives)``."""
    try:
        release = version("rag-news")
    except PackageNotFoundError:  # a source tree without install
        release = "0.0.0"
    return f"{ROBOTS_NAME}/{release} (+question answering over news; fetches only addresses its user gives)"


class FetchError(IngestError):
    """An address that could not be fetched; the message starts with the address.

    Attributes:
        url: the address asked for.
        status: the HTTP status when the server answered with an error, else None.
        transient: worth trying again later (time-outs, refused connections, 5xx, 429).
    """

    def __init__(self, url: str, reason: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.status = status
        self.transient = transient


@dataclass(frozen=True)
class FetchSettings:
    """Limits of one request: seconds for all of it, bytes of body, redirects followed."""

    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_bytes: int = MAX_FILE_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    user_agent: str = field(default_factory=user_agent)

    def __post_init__(self) -> None:
        if not self.timeout_seconds > 0:
            raise ValueError(f"timeout_seconds must be > 0, got {self.timeout_seconds}")
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be >= 1, got {self.max_bytes}")
        if self.max_redirects < 0:
            raise ValueError(f"max_redirects must be >= 0, got {self.max_redirects}")


@dataclass(frozen=True)
class Fetched:
    """A response: the address asked for, where it ended up, its media type and body."""

    url: str
    final_url: str
    status: int
    content_type: str  # lower-case media type without parameters, "" when not given
    charset: str | None
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        """The server said the copy asked about (``If-None-Match``) is still current."""
        return self.status == NOT_MODIFIED


def check_address(url: str) -> str:
    """``url`` stripped, if it is an http(s) address with a host.

    Raises:
        FetchError: another scheme (``file://``, ``ftp://``...), or no host.
    """
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme or not parts.netloc and "://" not in url:
        raise FetchError(url, "give a full address starting with http:// or https://")
    if parts.scheme.lower() not in FETCHABLE_SCHEMES:
        raise FetchError(url, f"only http:// and https:// addresses are fetched, not {parts.scheme}://")
    if not parts.hostname:
        raise FetchError(url, "the address has no host name")
    return url


class Fetcher:
    """GET web addresses with this product's limits (:class:`FetchSettings`)."""

    def __init__(self, settings: FetchSettings | None = None, hosts: HostQueue | None = None) -> None:
        self.settings = settings or FetchSettings()
        self.hosts = hosts or HOSTS
        # Only the http(s) handlers: no file://, ftp:// or data:. No redirect handler either:
        # a redirect comes back as an error response, and ``get`` checks each hop itself.
        self._opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            urllib.request.HTTPHandler(),
            urllib.request.HTTPSHandler(),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
        ):
            self._opener.add_handler(handler)

    def get(
        self,
        url: str,
        accept: tuple[str, ...] | None = None,
        headers: Mapping[str, str] | None = None,
        delay_seconds: float = 0.0,
    ) -> Fetched:
        """Fetch ``url``, following its HTTP redirects.

        Args:
            url: an http(s) address.
            accept: media types wanted (``HTML_TYPES``...); another declared type is an error
                (a response that declares none is let through). None: any.
            headers: extra request headers (``If-None-Match`` for a feed already read).
            delay_seconds: leave this long after the host's previous request (robots.txt's
                crawl delay).

        Returns:
            The response; ``not_modified`` when the server answered 304.

        Raises:
            FetchError: bad address, redirect problems, HTTP errors, time-out, too big,
                unwanted content type.
        """
        address = check_address(url)
        current = address
        for _ in range(self.settings.max_redirects + 1):
            with self.hosts.turn(host_of(current), delay_seconds):
                fetched, location = self._once(address, current, headers or {}, accept)
            if fetched is not None:
                return fetched
            target = urllib.parse.urljoin(current, location)
            if urllib.parse.urlsplit(target).scheme.lower() not in FETCHABLE_SCHEMES:
                raise FetchError(address, f"redirected to {target}, which is not an http(s) address")
            current = target
        raise FetchError(address, f"more than {self.settings.max_redirects} redirects (last to {current})")

    def _once(
        self, address: str, current: str, headers: Mapping[str, str], accept: tuple[str, ...] | None
    ) -> tuple[Fetched | None, str]:
        """One request: ``(response, "")``, or ``(None, location)`` for a redirect."""
        request = urllib.request.Request(
            current,
            headers={
                "User-Agent": self.settings.user_agent,
                "Accept": f"{', '.join(accept)}, */*;q=0.1" if accept else "*/*",
                **headers,
            },
        )
        deadline = time.monotonic() + self.settings.timeout_seconds
        try:
            response = self._opener.open(request, timeout=self.settings.timeout_seconds)
        except urllib.error.HTTPError as error:
            error.close()
            if error.code in REDIRECT_CODES and error.headers.get("Location"):
                return None, error.headers["Location"]
            if error.code == NOT_MODIFIED:
                return self._response(address, current, error.code, error.headers, b""), ""
            raise FetchError(
                address,
                f"HTTP {error.code} {error.reason}".rstrip(),
                status=error.code,
                transient=error.code >= 500 or error.code == 429,
            ) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timed_out(address) from None
            reason = getattr(error.reason, "strerror", None) or error.reason
            raise FetchError(address, f"cannot connect ({reason})", transient=True) from None
        except TimeoutError:
            raise self._timed_out(address) from None
        except (OSError, http.client.HTTPException) as error:  # resets, TLS failures, bad status lines
            raise FetchError(
                address, f"cannot fetch ({type(error).__name__}: {error})", transient=True
            ) from None
        with response:
            content_type = response.headers.get_content_type() if response.headers.get("Content-Type") else ""
            if accept is not None and content_type and content_type not in accept:
                wanted = " or ".join(dict.fromkeys(TYPE_NAMES.get(kind, kind) for kind in accept))
                raise FetchError(address, f"not {wanted} (content type {content_type})")
            body = self._read(address, response, deadline)
            return self._response(address, current, response.status, response.headers, body), ""

    def _read(self, address: str, response, deadline: float) -> bytes:  # type: ignore[no-untyped-def]
        limit = self.settings.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(address, f"{_size(int(declared))}, over the limit of {_size(limit)}")
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise self._timed_out(address)
                chunk = response.read(READ_CHUNK_BYTES)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise FetchError(address, f"over the limit of {_size(limit)}")
                chunks.append(chunk)
        except TimeoutError:
            raise self._timed_out(address) from None
        except (OSError, http.client.HTTPException) as error:
            raise FetchError(
                address, f"connection broke ({type(error).__name__}: {error})", transient=True
            ) from None
        return b"".join(chunks)

    def _timed_out(self, address: str) -> FetchError:
        return FetchError(
            address, f"no complete answer within {self.settings.timeout_seconds:g} s", transient=True
        )

    @staticmethod
    def _response(address: str, current: str, status: int, headers: Message, body: bytes) -> Fetched:
        return Fetched(
            url=address,
            final_url=current,
            status=status,
            content_type=headers.get_content_type() if headers.get("Content-Type") else "",
            charset=headers.get_content_charset(),
            body=body,
            headers={key.lower(): value for key, value in headers.items()},
        )


def _size(size: int) -> str:
    """``20 MB``, ``1.5 MB``, ``5,000 bytes``."""
    return f"{size / MEGABYTE:.3g} MB" if size >= MEGABYTE else f"{size:,} bytes"
