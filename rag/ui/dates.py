"""Dates in the chat: relative dates beside a quote, resolved, and an answer's timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rag.types import DateGranularity, ResolvedDate, TimelineEntry
from rag.ui.text import escape_text, format_date


def date_label(resolved: ResolvedDate) -> str:
    """``"Monday → Mon 2 Sep 2019"``, ``"in May → May 2019"``, ``"last year → 2018"``."""
    when = datetime.fromisoformat(
        resolved.date + {"day": "", "month": "-01", "year": "-01-01"}[resolved.granularity]
    )
    shown = {
        "day": f"{when:%a} {when.day} {when:%b %Y}",
        "month": f"{when:%B %Y}",
        "year": f"{when.year}",
    }[resolved.granularity]
    return f"{resolved.text} → {shown}"


def format_dates(dates: Sequence[ResolvedDate]) -> str:
    """The quote's relative dates, resolved against the article's date, as one small line."""
    if not dates:
        return ""
    labels = " · ".join(escape_text(date_label(resolved)) for resolved in dates)
    return f'<p class="rag-dates" title="dates resolved against the article\'s publication date">{labels}</p>'


def format_timeline(entries: Sequence[TimelineEntry]) -> str:
    """An answer's timeline: one line per article, oldest first ("3 May 2018 — Thursday — Title")."""
    if not entries:
        return ""
    items = []
    for entry in entries:
        when = (
            date_label(
                ResolvedDate(entry.text, entry.citation.span, entry.date, _granularity(entry.date))
            ).split(" → ")[1]
            if entry.date
            else f"published {format_date(entry.published)}"
        )
        title = entry.citation.title or "Untitled article"
        items.append(
            f'<li><span class="rag-when">{escape_text(when)}</span> — <strong>{escape_text(entry.text)}</strong>'
            f' <span class="rag-cite-meta">— {escape_text(title)}, {escape_text(format_date(entry.published))}</span></li>'
        )
    return '<div class="rag-section">Over time</div><ol class="rag-timeline">' + "".join(items) + "</ol>"


def _granularity(resolved: str) -> DateGranularity:
    granularities: dict[int, DateGranularity] = {10: "day", 7: "month", 4: "year"}
    return granularities[len(resolved)]
