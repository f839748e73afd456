"""Turn scraped page text into clean documents: the article plus any teasers.

The rules themselves live in :mod:`rag.ingest.rules`; this module applies them
in order: pull out dates and the publisher, split off a trailing block of other
stories' teasers, drop page furniture, find the headline, keep the body.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from rag.ingest import rules
from rag.ingest.dates import is_date_only, parse_date
from rag.types import ArticleKind

HEADER_BODY_MIN_WORDS = 15  # the first prose line this long ends the header zone


@dataclass(frozen=True)
class CleanDocument:
    """A cleaned document before it gets an id: title, text and metadata."""

    title: str
    text: str
    source: str | None = None
    published: str | None = None
    kind: ArticleKind = "article"
    dropped: tuple[str, ...] = field(default=(), compare=False)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # JSON escapes can carry them; UTF-8 cannot


def scrub(text: str) -> str:
    """``text`` with lone surrogates (unencodable) replaced by U+FFFD."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def normalize(text: str) -> str:
    """Unify newlines and odd spaces; keep every visible character."""
    text = unicodedata.normalize("NFC", scrub(text).replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _words(line: str) -> int:
    return len(line.split())


def find_source(lines: list[str]) -> str | None:
    """The publisher a page names ("appeared in the X print edition", "About the Author: X is")."""
    for line in lines:
        stripped = line.strip()
        for pattern in rules.SOURCE_PATTERNS:
            match = pattern.search(stripped)
            if match:
                return match.group("source").strip(" .,")
    return None


def find_dates(lines: list[str]) -> tuple[str | None, set[int]]:
    """Published date (else updated date) and the indexes of the date lines."""
    found: dict[str, str] = {}
    date_lines: set[int] = set()
    for index, line in enumerate(lines):
        match = rules.DATE_LINE.match(line.strip())
        if not match:
            continue
        iso = parse_date(match.group("value"))
        if iso:
            label = match.group("label").lower()
            found.setdefault("updated" if "updated" in label else "published", iso)
            date_lines.add(index)
    return found.get("published") or found.get("updated"), date_lines


def _next_nonempty(lines: list[str], index: int, step: int) -> int | None:
    index += step
    while 0 <= index < len(lines):
        if lines[index].strip():
            return index
        index += step
    return None


def split_teasers(lines: list[str]) -> tuple[list[str], list[CleanDocument]]:
    """Split a trailing block of "title / summary / By Source / date" teasers off a page."""
    teasers: list[CleanDocument] = []
    first_teaser_line = len(lines)
    for index, line in enumerate(lines):
        byline = rules.TEASER_BYLINE.match(line.strip())
        if not byline:
            continue
        date_index = _next_nonempty(lines, index, 1)
        summary_index = _next_nonempty(lines, index, -1)
        if date_index is None or summary_index is None:
            continue
        if not is_date_only(lines[date_index]):
            continue
        title_index = _next_nonempty(lines, summary_index, -1)
        if title_index is None or rules.is_sentence_like(lines[title_index]):
            continue
        title = lines[title_index].strip()
        summary = lines[summary_index].strip()
        teasers.append(
            CleanDocument(
                title=title,
                text=f"{title}\n\n{summary}",
                source=byline.group("source").strip(),
                published=parse_date(lines[date_index]),
                kind="teaser",
            )
        )
        first_teaser_line = min(first_teaser_line, title_index)
    return lines[:first_teaser_line], teasers


def drop_furniture(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove lines matched by a rule and promo blocks; return (kept, dropped)."""
    kept: list[str] = []
    dropped: list[str] = []
    skip_until = -1
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index <= skip_until:
            dropped.append(stripped)
            continue
        if rules.PROMO_BLOCK_START.match(stripped):
            for offset in range(1, rules.PROMO_BLOCK_MAX_LINES + 1):
                if index + offset < len(lines) and rules.CALL_TO_ACTION.match(lines[index + offset].strip()):
                    skip_until = index + offset
                    break
        if rules.matching_rule(stripped):
            dropped.append(stripped)
            continue
        kept.append(line)
    return kept, dropped


def find_title(lines: list[str]) -> int | None:
    """Index of the headline: the first heading-like line of a few words."""
    for index, line in enumerate(lines):
        stripped = line.strip()
        if (
            stripped
            and _words(stripped) >= rules.TITLE_MIN_WORDS
            and not rules.is_sentence_like(stripped)
            and not rules.BULLET.match(line)
            and not is_date_only(stripped)
        ):
            return index
    return None


def assemble_body(lines: list[str]) -> tuple[list[str], list[str]]:
    """Keep deks and bullets in the header zone and prose in the body."""
    paragraphs: list[str] = []
    dropped: list[str] = []
    in_header = True
    for line in lines:
        bullet = bool(rules.BULLET.match(line))
        stripped = rules.BULLET.sub("", line.strip()).strip()
        if not stripped:
            continue
        if is_date_only(stripped):
            dropped.append(stripped)
            continue
        prose = rules.is_sentence_like(stripped)
        if in_header and prose and _words(stripped) >= HEADER_BODY_MIN_WORDS:
            in_header = False
        # Deks and summary bullets are short non-sentences worth keeping; in the body only
        # prose (and list items) stays, so headings and related-story links go.
        keep = _words(stripped) >= rules.TITLE_MIN_WORDS if (in_header or bullet) else prose
        (paragraphs if keep else dropped).append(stripped)
    return paragraphs, dropped


def clean_page(raw: str, fallback_title: str = "Untitled", title: str | None = None) -> list[CleanDocument]:
    """Clean scraped page text into the main article followed by its teasers.

    Args:
        raw: the page text as scraped (navigation, ads and all).
        fallback_title: used when no headline can be found (e.g. the file name).
        title: a known title (from HTML metadata or JSONL); it is then not searched for.

    Returns:
        ``[article, *teasers]``; the article's ``text`` starts with its title.
        An empty list when nothing readable is left.
    """
    lines = normalize(raw).split("\n")
    source = find_source(lines)
    published, date_lines = find_dates(lines)
    lines = [line for index, line in enumerate(lines) if index not in date_lines]
    lines, teasers = split_teasers(lines)
    lines, dropped = drop_furniture(lines)
    if title is None:
        title_index = find_title(lines)
        if title_index is not None:
            title = lines[title_index].strip()
            dropped.extend(line.strip() for line in lines[:title_index] if line.strip())
            lines = lines[title_index + 1 :]
    title = re.sub(r"\s+", " ", scrub(title or "").strip()) or scrub(fallback_title)
    paragraphs, dropped_body = assemble_body(lines)
    if paragraphs and paragraphs[0] == title:
        paragraphs = paragraphs[1:]
    if not paragraphs:
        return teasers
    if published is None:
        published = next((parse_date(line) for line in lines if is_date_only(line)), None)
    article = CleanDocument(
        title=title,
        text="\n\n".join([title, *paragraphs]),
        source=source,
        published=published,
        dropped=tuple(dropped + dropped_body),
    )
    return [article, *teasers]
