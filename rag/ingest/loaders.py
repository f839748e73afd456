"""Read article files (.txt, .md, .html/.htm, .jsonl; .pdf in ``rag.ingest.pdf``) into cleaned documents.

Each loader returns ``list[RawDocument]``; problems with one file or one line
become warnings naming it, never exceptions that stop a whole ingest.
"""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.clean import CleanDocument, clean_page, scrub
from rag.ingest.dates import parse_date

MEGABYTE = 1024 * 1024
MAX_FILE_BYTES = 20 * MEGABYTE  # larger files are refused with a message
TEXT_ENCODINGS = ("utf-8", "utf-16", "cp1252", "latin-1")
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".jsonl", ".pdf")


class IngestError(ValueError):
    """A file that cannot be ingested; the message names the file and why."""


@dataclass(frozen=True)
class LoadedDocument:
    """A cleaned document plus where it came from (``path`` is None for a fetched page)."""

    document: CleanDocument
    path: str | None
    url: str | None = None
    author: str | None = None
    pages: tuple[int, ...] = ()  # PDF page starts in ``document.text`` (``Article.pages``)


def looks_binary(data: bytes) -> bool:
    """NUL bytes (outside UTF-16 text) or many control characters mean not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    return bool(sample) and control / len(sample) > 0.05


def decode(data: bytes, path: Path) -> str:
    """Decode text bytes: BOM-aware UTF-8/UTF-16 first, then cp1252, then latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_text_file(path: Path) -> str:
    """Read a file as text, refusing binary and oversized files with a clear message."""
    data = read_file_bytes(path)
    if looks_binary(data):
        raise IngestError(f"{path}: looks like a binary file, not text")
    return decode(data, path)


def read_file_bytes(path: Path) -> bytes:
    """A regular file's bytes, refusing empty and oversized files with a clear message."""
    try:
        status = path.stat()
    except OSError as error:
        raise IngestError(f"{path}: cannot read ({error.strerror or error})") from error
    if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block or never end
        raise IngestError(f"{path}: not a regular file")
    size = status.st_size
    if size > MAX_FILE_BYTES:
        raise IngestError(
            f"{path}: file is {size / MEGABYTE:.1f} MB, over the {MAX_FILE_BYTES / MEGABYTE:g} MB limit"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise IngestError(f"{path}: cannot read ({error.strerror or error})") from error
    if not data.strip():
        raise IngestError(f"{path}: file is empty")
    return data


def load_txt(path: Path) -> list[LoadedDocument]:
    documents = clean_page(read_text_file(path), fallback_title=path.stem)
    return [LoadedDocument(document, str(path)) for document in documents]


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


def load_markdown(path: Path) -> list[LoadedDocument]:
    """Markdown: the first heading is the title; links and emphasis become plain text."""
    text = read_text_file(path)
    title = None
    lines = []
    for line in text.splitlines():
        heading = _MD_HEADING.match(line)
        if heading:
            if title is None:
                title = heading.group(1)
                continue
            line = heading.group(1)
        lines.append(_MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", line)))
    documents = clean_page("\n".join(lines), fallback_title=path.stem, title=title)
    return [LoadedDocument(document, str(path)) for document in documents]


def load_html(path: Path) -> list[LoadedDocument]:
    """HTML: trafilatura extracts the main text and metadata; our rules clean the rest."""
    return extract_html(read_text_file(path), str(path), fallback_title=path.stem, path=str(path))


def extract_html(
    html: str | bytes, where: str, fallback_title: str, path: str | None = None, url: str | None = None
) -> list[LoadedDocument]:
    """The cleaned documents of an HTML page, from a file or fetched from ``url``.

    Args:
        html: the page (bytes are decoded by trafilatura from the page's own charset).
        where: names the page in messages (a file path or the URL).
        fallback_title: the title when the page has none.
        path: the file it was read from; None for a fetched page.
        url: the address it was fetched from; kept on the documents (else the page's canonical one).

    Raises:
        IngestError: no article text in the page.
    """
    import trafilatura

    extracted = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    if isinstance(extracted, dict):  # only with as_dict=True, which is not asked for
        raise TypeError("trafilatura.bare_extraction returned a dict; a Document was expected")
    if extracted is None or not (extracted.text or "").strip():
        raise IngestError(f"{where}: no article text found in the HTML")
    documents = clean_page(extracted.text or "", fallback_title=fallback_title, title=extracted.title or None)
    url = url or extracted.url or None
    author = (extracted.author or "").strip() or None
    loaded = []
    for document in documents:
        if document.kind == "article":
            document = CleanDocument(
                title=document.title,
                text=document.text,
                source=document.source or extracted.sitename or extracted.hostname or None,
                published=document.published or (parse_date(extracted.date) if extracted.date else None),
                kind=document.kind,
                dropped=document.dropped,
            )
        loaded.append(LoadedDocument(document, path, url, author if document.kind == "article" else None))
    return loaded


def _scrub_strings(record: dict) -> dict:
    """A JSON object with lone surrogates (from ``\\ud800`` escapes) replaced in its strings."""
    return {key: scrub(value) if isinstance(value, str) else value for key, value in record.items()}


def load_jsonl(path: Path, warn: Callable[[str], None]) -> list[LoadedDocument]:
    """JSONL: one article per line with ``text`` and optional title/source/published/url."""
    loaded = []
    for number, line in enumerate(read_text_file(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line, object_hook=_scrub_strings)
        except json.JSONDecodeError as error:
            warn(f"{path}:{number}: skipped, not valid JSON ({error.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            warn(f"{path}:{number}: skipped, needs a string field 'text'")
            continue
        title = record.get("title") if isinstance(record.get("title"), str) else None
        documents = clean_page(record["text"], fallback_title=f"{path.stem} line {number}", title=title)
        if not documents:
            warn(f"{path}:{number}: skipped, no article text left after cleaning")
            continue
        main = documents[0]
        published = record.get("published")
        main = CleanDocument(
            title=main.title,
            text=main.text,
            source=record.get("source") or main.source,
            published=(parse_date(str(published)) if published else None) or main.published,
            kind=main.kind,
            dropped=main.dropped,
        )
        url = record.get("url") if isinstance(record.get("url"), str) else None
        loaded.append(LoadedDocument(main, f"{path}:{number}", url))
        loaded.extend(LoadedDocument(doc, f"{path}:{number}", url) for doc in documents[1:])
    return loaded
