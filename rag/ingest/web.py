"""One web address in, cleaned articles out: an HTML page through trafilatura, or a PDF.

The page is fetched by :mod:`rag.ingest.fetch` (its limits and politeness); its text, title,
author, date and site name become the article's, and the address given is kept as its ``url``.
Links inside the page are never followed.

Example:
    >>> articles = fetch_articles("https://example.org/news/harbour.html")  # doctest: +SKIP
    >>> articles[0].title, articles[0].url  # doctest: +SKIP
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from rag.ingest import to_article
from rag.ingest.fetch import HTML_TYPES, PDF_TYPES, Fetched, Fetcher
from rag.ingest.loaders import IngestError, LoadedDocument, extract_html
from rag.ingest.pdf import pdf_documents
from rag.types import Article

PDF_MAGIC = b"%PDF-"
_NAME_SEPARATORS = re.compile(r"[-_+.\s]+")


@dataclass(frozen=True)
class PageHints:
    """What a feed says about a story, used where the page itself says nothing."""

    title: str | None = None
    published: str | None = None  # ISO 8601
    source: str | None = None


def fetch_articles(
    url: str, fetcher: Fetcher | None = None, hints: PageHints | None = None, delay_seconds: float = 0.0
) -> list[Article]:
    """Fetch ``url`` (a web page or a PDF) and return its cleaned articles, the story first.

    Args:
        url: an http(s) address the user gave (or a feed they gave lists).
        fetcher: limits and User-Agent (default :class:`~rag.ingest.fetch.Fetcher`).
        hints: title, date and source from a feed, for what the page does not say.
        delay_seconds: time to leave after the previous request to the host (robots.txt).

    Raises:
        IngestError: the fetch failed (:class:`~rag.ingest.fetch.FetchError`), or the page
            has no article text; the message starts with ``url``.
    """
    page = (fetcher or Fetcher()).get(url, accept=HTML_TYPES + PDF_TYPES, delay_seconds=delay_seconds)
    hints = hints or PageHints()
    fallback_title = hints.title or _name_of(page.final_url)
    if not page.body.strip():
        raise IngestError(f"{page.url}: the page is empty")
    loaded: list[LoadedDocument]
    if page.content_type in PDF_TYPES or page.body.startswith(PDF_MAGIC):
        loaded = pdf_documents(page.body, page.url, fallback_title, url=page.url)
    else:
        loaded = extract_html(_text_of(page), page.url, fallback_title, url=page.url)
    if not loaded:
        raise IngestError(f"{page.url}: no article text left after cleaning")
    return [_with_hints(to_article(document), hints) for document in loaded]


def _text_of(page: Fetched) -> str | bytes:
    """The page decoded by its declared charset; bytes (trafilatura reads ``<meta charset>``) if none."""
    if page.charset:
        try:
            return page.body.decode(page.charset)
        except (LookupError, UnicodeDecodeError):  # a wrong or unknown declaration
            pass
    return page.body


def _with_hints(article: Article, hints: PageHints) -> Article:
    if article.kind != "article":
        return article
    return replace(
        article,
        source=article.source or hints.source,
        published=article.published or hints.published,
    )


def _name_of(url: str) -> str:
    """A readable title from an address: ``.../harbour-reopens.html`` -> ``harbour reopens``."""
    parts = urllib.parse.urlsplit(url)
    last = urllib.parse.unquote(parts.path.rstrip("/").rpartition("/")[2])
    stem = last.rsplit(".", 1)[0] if "." in last else last
    return _NAME_SEPARATORS.sub(" ", stem).strip() or parts.hostname or url


@dataclass(frozen=True)
class PageFetch:
    """Pages fetched for ``rag index URL...`` or "Add by URL": articles, skipped, failed."""

    articles: tuple[Article, ...] = ()
    known: tuple[str, ...] = ()  # addresses already indexed, not fetched again
    problems: tuple[str, ...] = ()  # one line each, starting with the address


def fetch_pages(
    urls: Sequence[str], known_urls: Collection[str] = (), fetcher: Fetcher | None = None
) -> PageFetch:
    """Fetch each address not in ``known_urls``, once; a failure is a problem line, not an error."""
    fetcher = fetcher or Fetcher()
    articles: list[Article] = []
    known: list[str] = []
    problems: list[str] = []
    for url in dict.fromkeys(url.strip() for url in urls):
        if url in known_urls:
            known.append(url)
            continue
        try:
            articles.extend(fetch_articles(url, fetcher))
        except IngestError as error:
            problems.append(str(error))
    return PageFetch(tuple(articles), tuple(known), tuple(problems))
