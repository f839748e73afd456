"""Read PDFs (press releases, reports) into cleaned documents that remember their pages.

pypdf extracts each page's text line by line, wrapped as printed; the lines are joined back
into paragraphs (:func:`reflow`) before the usual cleaning, and every document keeps where
each page starts in its cleaned text (``Article.pages``), so a citation can say "p. 3".
A PDF without a text layer (a scanned image) is refused with a message, never indexed empty.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rag.ingest import rules
from rag.ingest.clean import CleanDocument, clean_page, normalize
from rag.ingest.loaders import IngestError, LoadedDocument, read_file_bytes

MAX_PDF_PAGES = 500  # longer documents are books, not articles; refused with a message
MAX_ERROR_CHARACTERS = 120  # of a library's error text quoted in a message
#: A body line at least this long (a fraction of the longest line) was wrapped by the layout.
FULL_LINE_FRACTION = 0.75
#: Page furniture on a line of its own: "3", "Page 3", "3 of 12", "3/12", "- 3 -".
PAGE_NUMBER_LINE = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$|^-\s*\d{1,4}\s*-$", re.IGNORECASE)
PARAGRAPH_END = re.compile(r"[.!?…:][\"'”’)\]]*$")
HYPHEN_BREAK = re.compile(r"[^\W\d_]-$")  # "regio-" + "nal": a word split across lines
CONTINUES_AFTER = (",", ";", "-", "–", "—", "(", "/", "&")
#: Document titles that name the program or file, not the article.
JUNK_TITLE = re.compile(
    r"^(microsoft (word|powerpoint)|untitled|document\d*$)|\.(docx?|pdf|indd|odt|rtf)$", re.I
)
NO_TEXT_HINT = "the PDF has no text layer (a scanned image?); run OCR on it first (e.g. ocrmypdf)"


def load_pdf(path: Path) -> list[LoadedDocument]:
    """A PDF file as cleaned documents with page starts.

    Raises:
        IngestError: unreadable, password-protected, too long, or without text.
    """
    return pdf_documents(read_file_bytes(path), str(path), fallback_title=path.stem, path=str(path))


def pdf_documents(
    data: bytes, where: str, fallback_title: str, path: str | None = None, url: str | None = None
) -> list[LoadedDocument]:
    """The cleaned documents of a PDF, from a file or fetched from ``url``.

    Args:
        data: the PDF's bytes.
        where: names the PDF in messages (a file path or the URL).
        fallback_title: the title when neither the text nor the metadata has one.
        path: the file it was read from; None for a fetched PDF.
        url: the address it was fetched from.

    Raises:
        IngestError: unreadable, password-protected, too long, or without text.
    """
    page_texts, info = _read(data, where)
    if not any(text.strip() for text in page_texts):
        raise IngestError(f"{where}: {NO_TEXT_HINT}")
    text, page_starts = reflow(page_texts)
    title = _metadata(info, "title")
    if title and JUNK_TITLE.search(title):
        title = None
    documents = clean_page(text, fallback_title=title or fallback_title)
    if not documents:
        raise IngestError(f"{where}: no article text left after cleaning the PDF")
    author = _metadata(info, "author")
    created = getattr(info, "creation_date", None) if info is not None else None
    loaded = []
    for document in documents:
        if document.kind == "article" and document.published is None and isinstance(created, datetime):
            document = CleanDocument(
                title=document.title,
                text=document.text,
                source=document.source,
                published=created.date().isoformat(),
                kind=document.kind,
                dropped=document.dropped,
            )
        pages = page_starts_in(document.text, text, page_starts)
        loaded.append(
            LoadedDocument(document, path, url, author if document.kind == "article" else None, pages)
        )
    return loaded


def _read(data: bytes, where: str) -> tuple[list[str], Any]:
    """Each page's text and the document information (or None)."""
    try:
        from pypdf import PdfReader
    except ImportError as error:
        raise IngestError(
            f"{where}: reading PDFs needs pypdf; run `make install` (pip install pypdf)"
        ) from error

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns about every odd byte it skips
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not _opens_without_password(reader):
            raise IngestError(f"{where}: the PDF is password-protected")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise IngestError(
                f"{where}: the PDF has {len(reader.pages)} pages, over the {MAX_PDF_PAGES}-page limit"
            )
        texts = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except IngestError:
        raise
    except Exception as error:  # pypdf raises many kinds on a damaged file; all mean the same here
        detail = " ".join(str(error).split())[:MAX_ERROR_CHARACTERS]
        raise IngestError(f"{where}: not a readable PDF ({type(error).__name__}: {detail})") from error
    return texts, info


def _opens_without_password(reader: Any) -> bool:
    """True when only an owner password is set (printing/copying limits): the text is readable."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # unsupported encryption, or a missing crypto package
        return False


def _metadata(info: Any, name: str) -> str | None:
    value = getattr(info, name, None) if info is not None else None
    text = " ".join(str(value).split()) if value else ""
    return text or None


def reflow(page_texts: Sequence[str]) -> tuple[str, tuple[int, ...]]:
    """Join the layout's wrapped lines into paragraphs, one per line.

    A line goes on in the next one when it does not end like a paragraph and either the next
    starts in lower case, it ends with a comma or dash, or it fills the measure (a wrapped body
    line). Page-number lines are dropped; a word hyphenated across lines is joined.

    Returns:
        The text and, for each page, the offset in it where that page's first line starts
        (a page without text starts where the next text does).

    Example:
        >>> reflow(["Headline of the day\\nThe council met on Monday and agreed to\\nbuild it.", "2"])
        ('Headline of the day\\nThe council met on Monday and agreed to build it.', (0, 69))
    """
    pages = [[line.strip() for line in normalize(text).split("\n") if line.strip()] for text in page_texts]
    pages = [[line for line in lines if not PAGE_NUMBER_LINE.match(line)] for lines in pages]
    longest = max((len(line) for lines in pages for line in lines), default=0)
    pieces: list[str] = []  # "\n".join(pieces) is the text
    length = 0
    last_line = ""
    starts: list[int] = []
    pending = 0  # pages whose start is the next line's
    for lines in pages:
        pending += 1
        for line in lines:
            if pieces and _continues(last_line, line, longest):
                if HYPHEN_BREAK.search(pieces[-1]) and line[0].islower():
                    line_start = length - 1
                    pieces[-1] = pieces[-1][:-1] + line
                else:
                    line_start = length + 1
                    pieces[-1] = f"{pieces[-1]} {line}"
            else:
                line_start = length + 1 if pieces else 0
                pieces.append(line)
            length = line_start + len(line)
            starts.extend([line_start] * pending)
            pending = 0
            last_line = line
    starts.extend([length] * pending)
    return "\n".join(pieces), tuple(starts)


def _continues(previous: str, line: str, longest: int) -> bool:
    if PARAGRAPH_END.search(previous) or rules.BULLET.match(line):
        return False
    if previous.endswith(CONTINUES_AFTER) or line[0].islower():
        return True
    return len(previous) >= FULL_LINE_FRACTION * longest


def page_starts_in(document: str, text: str, page_starts: Sequence[int]) -> tuple[int, ...]:
    """``page_starts`` (offsets into the reflowed ``text``) moved into a cleaned ``document``.

    Every paragraph of a cleaned document is a line of ``text`` (cleaning drops lines, never
    rewrites them), so each is found there in order; a page that starts inside a paragraph
    starts at the same place in the document, one that starts in dropped lines starts with the
    next kept paragraph. Page 1 always starts at 0 (the title).
    """
    segments: list[tuple[int, int, int]] = []  # (offset in text, offset in document, length)
    cursor = 0
    position = 0
    for paragraph in document.split("\n\n"):
        found = text.find(paragraph, cursor) if paragraph else -1
        if found >= 0:
            segments.append((found, position, len(paragraph)))
            cursor = found + len(paragraph)
        position += len(paragraph) + 2
    moved: list[int] = []
    for start in page_starts:
        offset = len(document)
        for text_start, document_start, size in segments:
            if text_start + size > start:
                offset = document_start + max(0, start - text_start)
                break
        moved.append(max(offset, moved[-1]) if moved else 0)
    return tuple(moved)
