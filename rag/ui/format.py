"""An ``Answer`` as a chat message: self-contained HTML, article text always escaped.

Article text is data, never markup: every piece of it goes through :func:`escape_text`,
which escapes HTML and also the characters Markdown or the chat's renderer would act on.
The message is one line of HTML with no blank lines, so the chat's Markdown renderer
passes it through as a single HTML block instead of parsing the article text inside it.

Example:
    >>> from rag.types import Answer
    >>> format_answer(Answer(question="q", found=False, text="", sentence="", score=0.0))[:40]
    '<div class="rag-msg rag-not-found"><p c'
"""

from __future__ import annotations

import html
import logging
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Literal

from rag.types import Answer, Citation, Span
from rag.ui.dates import format_dates, format_timeline
from rag.ui.text import escape_text, format_date

logger = logging.getLogger(__name__)

Confidence = Literal["high", "medium", "low"]

NOT_FOUND_REPLY = "I could not find this in the articles."
UNTITLED = "Untitled article"
MAX_CLOSEST_PASSAGES = 3


@dataclass(frozen=True)
class ConfidenceBands:
    """Score thresholds for the confidence label; scores are calibrated probabilities.

    ``medium`` starts where an answer is more likely right than wrong.
    """

    high: float = 0.75
    medium: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.medium <= self.high <= 1.0:
            raise ValueError(f"need 0 <= medium <= high <= 1, got medium={self.medium}, high={self.high}")


DEFAULT_BANDS = ConfidenceBands()


def confidence_level(score: float, bands: ConfidenceBands = DEFAULT_BANDS) -> Confidence:
    """``"high"``, ``"medium"`` or ``"low"`` for a calibrated score in [0, 1]."""
    if score >= bands.high:
        return "high"
    if score >= bands.medium:
        return "medium"
    return "low"


def highlight(text: str, outer: Span | None = None, inner: Span | None = None) -> str:
    """Escaped ``text`` with ``outer`` wrapped in a sentence mark and ``inner`` in an answer mark.

    Offsets are into ``text``. ``inner`` must lie inside ``outer`` when both are given; a span
    that does not fit is dropped (logged), so a bad offset never garbles the message.
    """
    length = len(text)
    if outer is not None and outer.end > length:
        logger.warning("sentence span %s is outside a text of %d characters", outer, length)
        outer = None
    if inner is not None and (inner.end > length or len(inner) == 0):
        inner = None
    if (
        inner is not None
        and outer is not None
        and not (outer.start <= inner.start and inner.end <= outer.end)
    ):
        logger.warning("answer span %s is not inside sentence span %s", inner, outer)
        inner = None
    if outer is not None and len(outer) == 0:
        outer = None
    # With inner inside outer, the tags always come in this order, offsets non-decreasing.
    cuts: list[tuple[int, str]] = []
    if outer is not None:
        cuts.append((outer.start, '<mark class="rag-sentence">'))
    if inner is not None:
        cuts += [(inner.start, '<mark class="rag-answer">'), (inner.end, "</mark>")]
    if outer is not None:
        cuts.append((outer.end, "</mark>"))
    pieces, position = [], 0
    for offset, tag in cuts:
        pieces.append(escape_text(text[position:offset]))
        pieces.append(tag)
        position = offset
    pieces.append(escape_text(text[position:]))
    return "".join(pieces)


def _relative(span: Span, base: int, text: str, expected: str) -> Span | None:
    """``span`` moved to offsets inside ``text`` (which starts at ``base``), checked by content."""
    if expected and span.start >= base:
        moved = span.shift(-base)
        if moved.end <= len(text) and text[moved.start : moved.end] == expected:
            return moved
    found = text.find(expected) if expected else -1
    return Span(found, found + len(expected)) if found >= 0 else None


def page_label(citation: Citation) -> str:
    """``p. 3`` for a citation into a PDF, else ``""``."""
    return f"p. {citation.page}" if citation.page is not None else ""


def source_link(url: str | None) -> str:
    """A link to the page an article was fetched from (http(s) only; any other is not linked)."""
    if not url or urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        return ""
    return (
        f'<a class="rag-cite-url" href="{html.escape(url, quote=True)}" target="_blank" '
        f'rel="noopener noreferrer nofollow">{escape_text(url)}</a>'
    )


def citation_label(number: int, citation: Citation) -> str:
    """``[1] Title — Source, 4 Sep 2019, p. 3`` as escaped HTML."""
    parts = (citation.source or "", format_date(citation.published), page_label(citation))
    details = ", ".join(part for part in parts if part)
    label = f'<span class="rag-cite-num">[{number}]</span> <span class="rag-cite-title">'
    label += escape_text(citation.title or UNTITLED) + "</span>"
    if details:
        label += f' <span class="rag-cite-meta">— {escape_text(details)}</span>'
    if citation.kind == "teaser":
        label += ' <span class="rag-badge">teaser</span>'
    return label


def format_citation(number: int, citation: Citation, answer_text: str = "") -> str:
    """A numbered citation that expands to its passage, sentence and answer highlighted."""
    passage = citation.passage
    base = citation.passage_span.start
    sentence = _relative(citation.sentence_span, base, passage, citation.quote)
    answer = _relative(citation.span, base, passage, answer_text) if answer_text else None
    if (
        answer is not None
        and sentence is not None
        and not (sentence.start <= answer.start and answer.end <= sentence.end)
    ):
        answer = None
    where = f"characters {citation.span.start}–{citation.span.end}" if len(citation.span) else ""
    file_name = PurePath(citation.path).name if citation.path else ""
    parts = (f"doc {citation.doc_id}", where, page_label(citation), file_name)
    meta = escape_text(" · ".join(part for part in parts if part))
    link = source_link(citation.url)
    return (
        f'<details class="rag-cite"><summary>{citation_label(number, citation)}</summary>'
        f'<div class="rag-passage">{highlight(passage, sentence, answer)}</div>'
        f"{format_dates(citation.dates)}"
        f'<div class="rag-cite-where">{meta}{" · " + link if link else ""}</div></details>'
    )


def format_quote(answer: Answer) -> str:
    """The source sentence as a block quote with the answer highlighted inside it."""
    if not answer.sentence:
        return ""
    inner = None
    if answer.citations and answer.text and answer.text != answer.sentence:
        first = answer.citations[0]
        inner = _relative(first.span, first.sentence_span.start, answer.sentence, answer.text)
    quote = f'<blockquote class="rag-quote">{highlight(answer.sentence, None, inner)}</blockquote>'
    return quote + format_dates(answer.dates)


def confidence_badge(score: float, bands: ConfidenceBands = DEFAULT_BANDS) -> str:
    level = confidence_level(score, bands)
    return (
        f'<span class="rag-conf rag-conf-{level}" title="confidence score {score:.2f}">'
        f"{level.capitalize()} confidence · {score:.2f}</span>"
    )


def _citations(citations: Sequence[Citation], first_number: int, answer_text: str) -> str:
    items = "".join(
        format_citation(first_number + offset, citation, answer_text)
        for offset, citation in enumerate(citations)
    )
    return f'<div class="rag-cites">{items}</div>' if items else ""


def _alternative(alternative: Answer, first_number: int, bands: ConfidenceBands) -> str:
    return (
        f'<div class="rag-alt"><div class="rag-alt-head"><strong class="rag-alt-text">'
        f"{escape_text(alternative.text or alternative.sentence)}</strong> "
        f"{confidence_badge(alternative.score, bands)}</div>"
        f"{format_quote(alternative)}"
        f"{_citations(alternative.citations, first_number, alternative.text)}</div>"
    )


def format_answer(answer: Answer, bands: ConfidenceBands = DEFAULT_BANDS) -> str:
    """The whole chat message for ``answer`` (found or not), as one line of HTML.

    Citations are numbered across the main answer and the "Other possible answers".
    """
    if not answer.found:
        return format_not_found(answer)
    parts = [
        '<div class="rag-msg rag-found">',
        f'<div class="rag-head"><strong class="rag-answer-text">{escape_text(answer.text or answer.sentence)}'
        f"</strong> {confidence_badge(answer.score, bands)}</div>",
        format_quote(answer),
        format_timeline(answer.timeline),
    ]
    if answer.message:
        parts.append(f'<p class="rag-note">{escape_text(answer.message)}</p>')
    if answer.citations:
        parts.append('<div class="rag-section">Sources</div>')
        if answer.agreeing_articles >= 2:
            names = ", ".join(dict.fromkeys(c.source or c.title or UNTITLED for c in answer.citations))
            agree = f"{answer.agreeing_articles} articles agree: {names}"
            parts.append(f'<p class="rag-agree">{escape_text(agree)}</p>')
        parts.append(_citations(answer.citations, 1, answer.text))
    number = 1 + len(answer.citations)
    for title, group in (
        ("Sources differ", answer.conflicts),
        ("Other possible answers", [a for a in answer.alternatives if a not in answer.conflicts]),
    ):
        if group:
            parts.append(f'<div class="rag-section">{title}</div>')
        for alternative in group:
            parts.append(_alternative(alternative, number, bands))
            number += len(alternative.citations)
    parts.append("</div>")
    return "".join(parts)


def closest_citations(answer: Answer, limit: int = MAX_CLOSEST_PASSAGES) -> list[Citation]:
    """The passages nearest to an unanswered question: its citations, else its candidates'."""
    pool = list(answer.citations) or [
        citation for alternative in answer.alternatives for citation in alternative.citations
    ]
    seen: set[tuple[str, int, int]] = set()
    closest = []
    for citation in pool:
        key = (citation.doc_id, citation.passage_span.start, citation.passage_span.end)
        if key not in seen:
            seen.add(key)
            closest.append(citation)
    return closest[:limit]


def format_not_found(answer: Answer) -> str:
    """The plain not-found message, then the closest passages the search did find.

    The candidates' answer spans are not highlighted: they were judged not to answer.
    """
    parts = [
        '<div class="rag-msg rag-not-found">',
        f'<p class="rag-none">{escape_text(NOT_FOUND_REPLY)}</p>',
    ]
    if answer.message and answer.message.strip() != NOT_FOUND_REPLY:
        parts.append(f'<p class="rag-note">{escape_text(answer.message)}</p>')
    closest = closest_citations(answer)
    if closest:
        parts.append('<div class="rag-section">Closest passages</div>')
        parts.append(_citations(closest, 1, ""))
    parts.append("</div>")
    return "".join(parts)


def format_error(message: str) -> str:
    """A problem shown in the chat instead of a traceback."""
    return f'<div class="rag-msg rag-error"><p>{escape_text(message)}</p></div>'
