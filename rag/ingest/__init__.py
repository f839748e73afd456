"""Ingestion: files and folders in, cleaned ``Article`` objects out."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.ingest.clean import CleanDocument, clean_page
from rag.ingest.loaders import (
    SUPPORTED_SUFFIXES,
    IngestError,
    LoadedDocument,
    load_html,
    load_jsonl,
    load_markdown,
    load_txt,
)
from rag.ingest.pdf import load_pdf
from rag.types import Article

logger = logging.getLogger(__name__)

Source = str | Path | Article

__all__ = [
    "IngestError",
    "IngestResult",
    "Source",
    "clean_page",
    "doc_id_for",
    "is_web_address",
    "load_articles",
]


def doc_id_for(text: str) -> str:
    """Stable id from the cleaned text: the same article always gets the same id."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class IngestResult:
    """Articles found (deduplicated, in order) and a warning per skipped file or line."""

    articles: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def to_article(loaded: LoadedDocument) -> Article:
    """The ``Article`` of a loaded document: its id is the hash of its cleaned text."""
    document: CleanDocument = loaded.document
    return Article(
        doc_id=doc_id_for(document.text),
        title=document.title,
        text=document.text,
        source=document.source,
        published=document.published,
        url=loaded.url,
        path=loaded.path,
        kind=document.kind,
        author=loaded.author,
        pages=loaded.pages,
    )


def _canonical(path: str | None) -> str | None:
    """An article's ``path`` (``file`` or ``file:line``) with the file part resolved."""
    if path is None:
        return None
    file, colon, line = path.rpartition(":")
    if colon and line.isdigit():
        return f"{Path(file).resolve()}:{line}"
    return str(Path(path).resolve())


def is_web_address(source: str) -> bool:
    """True for ``scheme://...`` (``http://``, ``file://``...): an address, not a file path."""
    scheme, separator, _ = source.partition("://")
    return bool(separator) and scheme.isalpha() and "/" not in scheme


def _walk(path: Path) -> Iterable[Path]:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and not any(part.startswith(".") for part in child.relative_to(path).parts):
                yield child
    else:
        yield path


def _load_file(path: Path, warn) -> list[LoadedDocument]:  # type: ignore[no-untyped-def]
    suffix = path.suffix.lower()
    if suffix in (".txt", ".text"):
        return load_txt(path)
    if suffix in (".md", ".markdown"):
        return load_markdown(path)
    if suffix in (".html", ".htm"):
        return load_html(path)
    if suffix == ".jsonl":
        return load_jsonl(path, warn)
    if suffix == ".pdf":
        return load_pdf(path)
    raise IngestError(
        f"{path}: skipped, unsupported file type '{suffix or path.name}'"
        f" (supported: {', '.join(SUPPORTED_SUFFIXES)})"
    )


def load_articles(sources: Iterable[Source] | Source) -> IngestResult:
    """Load and clean articles from files, folders (walked recursively) or ``Article`` objects.

    Unknown, empty, binary or unreadable files are skipped with a warning that names
    them; the same article given twice is kept once. Web addresses are not fetched here
    (this never uses the network): ``rag.ingest.web.fetch_articles`` does that, on request.

    Example:
        >>> result = load_articles(["seeds/"])  # doctest: +SKIP
        >>> [a.title for a in result.articles]  # doctest: +SKIP
    """
    if isinstance(sources, (str, Path, Article)):
        sources = [sources]
    result = IngestResult()
    seen: dict[str, Article] = {}

    def warn(message: str) -> None:
        logger.warning(message)
        result.warnings.append(message)

    def add(article: Article) -> None:
        first = seen.get(article.doc_id)
        if first is not None:
            if _canonical(article.path) != _canonical(first.path):
                warn(f"{article.path}: skipped, same article as {first.path}")
            return
        seen[article.doc_id] = article
        result.articles.append(article)

    for source in sources:
        if isinstance(source, Article):
            add(source)
            continue
        if isinstance(source, str) and is_web_address(source):
            warn(f"{source}: skipped, a web address; fetch it with `rag index URL` (rag.ingest.web)")
            continue
        path = Path(source)
        if not path.exists():
            warn(f"{path}: skipped, no such file or folder")
            continue
        for file_path in _walk(path):
            try:
                loaded = _load_file(file_path, warn)
            except IngestError as error:
                warn(str(error))
                continue
            if not loaded:
                warn(f"{file_path}: skipped, no article text left after cleaning")
            for document in loaded:
                add(to_article(document))
    return result
