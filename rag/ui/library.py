"""The article library behind the side panel: list, upload, add by URL and delete articles.

No gradio here: these functions take an index (:class:`~rag.index.SearchIndex`) and plain paths, so the
upload rules (sanitized names, one file at a time, a bad file changes nothing) are tested
without a web server.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rag.index import AddReport, SearchIndex
from rag.ingest.fetch import Fetcher
from rag.ingest.loaders import SUPPORTED_SUFFIXES, IngestError
from rag.ingest.web import fetch_articles
from rag.types import Article
from rag.ui.text import escape_text, format_date

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "uploads"
MAX_NAME_LENGTH = 80
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
HASH_LENGTH = 10
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^\w .-]+")
_SPACES = re.compile(r"\s+")

Progress = Callable[[int, int, str], None]


class UploadError(ValueError):
    """An uploaded file that cannot be stored (bad type, too big, unreadable)."""


@dataclass(frozen=True)
class UploadOutcome:
    """What happened to one uploaded file."""

    name: str
    added: tuple[Article, ...] = ()
    duplicates: tuple[Article, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.added or self.duplicates) and not self.problems


@dataclass
class UploadSummary:
    outcomes: list[UploadOutcome] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(len(outcome.added) for outcome in self.outcomes)


def sanitize_filename(name: str) -> tuple[str, str]:
    """``(stem, suffix)`` safe to use inside the uploads folder: no folders, no odd characters.

    Raises:
        UploadError: the suffix is not a supported article type.
    """
    base = PurePosixPath(name.replace("\\", "/")).name
    path = PurePosixPath(base)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UploadError(
            f"{base or name!r}: unsupported file type {suffix or '(none)'!r}; upload one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    stem = _SPACES.sub(" ", _UNSAFE_NAME_CHARACTERS.sub(" ", path.stem)).strip("._- ")[:MAX_NAME_LENGTH]
    return stem.strip("._- ") or "upload", suffix


def store_upload(source: Path, name: str, folder: Path) -> Path:
    """Copy an uploaded file to ``folder/<content hash>/<safe name>``.

    The file keeps its (sanitized) name because ingestion uses it as the title when the text
    has no headline. The same content under the same name lands on the same file, so
    uploading it twice stores it once.

    Raises:
        UploadError: bad type, too big or unreadable.
    """
    stem, suffix = sanitize_filename(name)
    try:
        size = source.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise UploadError(f"{name!r}: {size:,} bytes is over the {MAX_UPLOAD_BYTES:,}-byte limit")
        data = source.read_bytes()
    except OSError as error:
        raise UploadError(f"{name!r}: cannot read the upload ({error.strerror or error})") from error
    digest = hashlib.sha256(data).hexdigest()[:HASH_LENGTH]
    target = folder / digest / f"{stem}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        temporary = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        temporary.write_bytes(data)
        os.replace(temporary, target)
    return target


def _shown(message: str, stored: Path, name: str) -> str:
    """A warning about ``stored`` as the user knows it: by the name they uploaded."""
    return message.replace(str(stored), name)


def add_one(index: SearchIndex, source: Path, name: str, folder: Path) -> UploadOutcome:
    """Store and index one uploaded file; a file that yields no article leaves no trace."""
    try:
        stored = store_upload(source, name, folder)
    except UploadError as error:
        return UploadOutcome(name=name, problems=(str(error),))
    report: AddReport | None = None
    try:
        report = index.add([stored])
    except Exception as error:  # the index said no (locked, disk full...): report, do not crash
        logger.exception("indexing upload %s failed", stored)
        problems: tuple[str, ...] = (f"{name}: could not be indexed ({type(error).__name__}: {error})",)
    else:
        problems = tuple(_shown(warning, stored, name) for warning in report.warnings)
        if not report.added and not report.duplicates and not problems:
            problems = (f"{name}: no article text found",)
    if report is None or not (report.added or report.duplicates):
        _discard(stored)
        return UploadOutcome(name=name, problems=problems)
    return UploadOutcome(
        name=name, added=tuple(report.added), duplicates=tuple(report.duplicates), problems=problems
    )


def add_url(index: SearchIndex, url: str, fetcher: Fetcher | None = None) -> UploadOutcome:
    """Fetch the page or PDF at ``url`` and index it; a failure is one line naming the address.

    An address already indexed is not fetched again. Nothing indexed changes on failure.
    """
    url = (url or "").strip()
    if not url:
        return UploadOutcome(name="", problems=("Type or paste a web address (http:// or https://) first.",))
    existing = tuple(article for article in index.articles() if article.url == url)
    if existing:
        return UploadOutcome(name=url, duplicates=existing)
    try:
        articles = fetch_articles(url, fetcher)
    except IngestError as error:
        return UploadOutcome(name=url, problems=(str(error),))
    try:
        report = index.add(articles)
    except Exception as error:  # the index said no (locked, disk full...): report, do not crash
        logger.exception("indexing %s failed", url)
        return UploadOutcome(
            name=url, problems=(f"{url}: could not be indexed ({type(error).__name__}: {error})",)
        )
    return UploadOutcome(name=url, added=tuple(report.added), duplicates=tuple(report.duplicates))


def _discard(stored: Path) -> None:
    """Delete a stored upload and its hash folder once empty."""
    stored.unlink(missing_ok=True)
    try:
        stored.parent.rmdir()
    except OSError:  # another file with the same content is still there
        pass


def add_uploads(
    index: SearchIndex, files: Sequence[tuple[Path, str]], folder: Path, progress: Progress | None = None
) -> UploadSummary:
    """Index uploaded ``(path, original name)`` pairs one by one; each file succeeds or fails alone."""
    summary = UploadSummary()
    for position, (source, name) in enumerate(files):
        if progress is not None:
            progress(position, len(files), name)
        summary.outcomes.append(add_one(index, Path(source), name, folder))
    if progress is not None:
        progress(len(files), len(files), "done")
    return summary


def remove_articles(index: SearchIndex, doc_ids: Sequence[str], folder: Path) -> list[Article]:
    """Remove articles; an uploaded file goes too once none of its articles is left."""
    wanted = set(doc_ids)
    articles = [article for article in index.articles() if article.doc_id in wanted]
    removed_ids = set(index.remove([article.doc_id for article in articles]))
    removed = [article for article in articles if article.doc_id in removed_ids]
    still_used = {article.path for article in index.articles()}
    folder = folder.resolve()
    for path in {article.path for article in removed if article.path}:
        file = Path(path).resolve()
        if file.parent.parent == folder and path not in still_used:
            _discard(file)
    return removed


def article_rows(articles: Sequence[Article], show_teasers: bool = True) -> list[list[str]]:
    """Rows ``[title, source, date, kind]`` for the article table (plain text, not markup)."""
    return [
        [
            article.title or "Untitled article",
            article.source or "",
            format_date(article.published),
            article.kind,
        ]
        for article in articles
        if show_teasers or article.kind != "teaser"
    ]


def article_choices(articles: Sequence[Article], show_teasers: bool = True) -> list[tuple[str, str]]:
    """``(label, doc_id)`` pairs for the delete picker."""
    choices = []
    for article in articles:
        if show_teasers or article.kind != "teaser":
            label = article.title or "Untitled article"
            if article.source:
                label += f" — {article.source}"
            choices.append((label, article.doc_id))
    return choices


def summary_html(summary: UploadSummary) -> str:
    """One line per uploaded file: what was added, what was already there, what went wrong."""
    items = []
    for outcome in summary.outcomes:
        if outcome.added:
            titles = ", ".join(article.title or "Untitled article" for article in outcome.added)
            count = len(outcome.added)
            text = f"{outcome.name}: added {count} article{'s' if count != 1 else ''} ({titles})"
            items.append(("ok", text))
        if outcome.duplicates:
            items.append(("info", f"{outcome.name}: {len(outcome.duplicates)} already in the index"))
        for problem in outcome.problems:
            items.append(("error" if not outcome.added else "warn", problem))
    if not items:
        return ""
    rows = "".join(f'<li class="rag-status-{kind}">{escape_text(text)}</li>' for kind, text in items)
    return f'<ul class="rag-status">{rows}</ul>'


def count_html(articles: Sequence[Article], passages: int) -> str:
    """How many documents (articles, teasers) and passages are indexed."""
    teasers = sum(article.kind == "teaser" for article in articles)
    return (
        f'<p class="rag-count">{len(articles)} documents indexed '
        f"({len(articles) - teasers} articles, {teasers} teasers) · {passages} passages</p>"
    )


def source_choices(articles: Sequence[Article]) -> list[str]:
    """The sources of the indexed articles, sorted, for the chat's source filter."""
    return sorted({article.source for article in articles if article.source}, key=str.casefold)
