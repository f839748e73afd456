"""When the best answers come from articles of different dates and differ, lay them out in time.

"When did Wang Yi visit Pyongyang?" over a 2018 story and a 2019 one has two right answers, a
year apart; a single answer would hide one. For each dated article among the ranked sentences,
its best sentence by ranker logit counts when the ranker put it within :data:`TIMELINE_LOGIT_GAP` of the best
sentence overall (the reader read it, so its span is the reader's; for a "when" question, a
nearby sentence of the same article that holds a date may give it instead, and an article
that gives no date is left out; for other questions the reader must keep at least
:data:`TIMELINE_MIN_SHARE` of the best score for it); with two or more
such articles published on different days, saying different things, the answer carries one
:class:`rag.types.TimelineEntry` per article, oldest first. Otherwise the timeline is empty.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from rag.index.filters import parse_published, published_day
from rag.qa.citations import cite
from rag.qa.compose import Ranking, scored_span
from rag.qa.model import Scorer
from rag.types import ResolvedDate, Span, TimelineEntry

#: Ranker logits below the best sentence's at which another article's sentence still counts
#: (the reader re-reads sentences within 4, see ``rag.qa.rerank``).
TIMELINE_LOGIT_GAP = 4.0
MAX_TIMELINE_ENTRIES = 5
#: For other questions, an article's best sentence must keep this share of the best answer's
#: score (the reader stood by it), or the timeline would list its misreadings.
TIMELINE_MIN_SHARE = 0.1
#: For a "when" question, an article's sentence this close to its best one may give the date.
ARTICLE_DATE_GAP = 3.0


def build_timeline(ranking: Ranking, spans: Scorer) -> tuple[TimelineEntry, ...]:
    """The dated answers of ``ranking``, one per article, oldest first; empty unless two or more
    articles of different publication days give different answers."""
    if not len(ranking.order):
        return ()
    floor = float(ranking.logits[ranking.order[0]]) - TIMELINE_LOGIT_GAP
    by_article: dict[str, list[int]] = {}
    # each article's sentences by ranker logit, the scale of the gaps below (the re-ranked order
    # may put a sentence far below the floor first, and ``_entry`` stops at the first one too low)
    for position in np.argsort(-ranking.logits, kind="stable"):
        article = ranking.candidates[position].article
        if published_day(article) is not None:
            by_article.setdefault(article.doc_id, []).append(int(position))
    asks_when = ranking.question.kind == "date"
    entries = [
        _entry(ranking, spans, positions)
        for positions in by_article.values()
        if float(ranking.logits[positions[0]]) >= floor
        and (asks_when or float(ranking.shares[positions[0]]) >= TIMELINE_MIN_SHARE)
    ]
    # a "when" question's timeline is one of dates: an article that gives none is left out
    entries = [entry for entry in entries if entry.date is not None or not asks_when][:MAX_TIMELINE_ENTRIES]
    days = {_published(entry) for entry in entries}
    texts = {" ".join(entry.text.lower().split()) for entry in entries}
    if len(entries) < 2 or len(days) < 2 or len(texts) < 2:
        return ()
    return tuple(sorted(entries, key=_when))


def _entry(ranking: Ranking, spans: Scorer, positions: list[int]) -> TimelineEntry:
    """One article's answer: its best sentence's span; for a "when" question, the first of its
    sentences near that one that holds a date, and that date when the span holds none."""
    chosen = positions[0]
    span = _span(ranking, spans, chosen)
    citation = cite(ranking.candidates[chosen], span)
    if ranking.question.kind == "date" and _date_of(span, citation.dates) is None:
        near = float(ranking.logits[chosen]) - ARTICLE_DATE_GAP
        for position in positions:
            if float(ranking.logits[position]) < near:
                break
            candidate = ranking.candidates[position]
            dated = cite(candidate, candidate.span).dates
            if dated:
                span = _span(ranking, spans, position)
                span = span if _date_of(span, dated) else dated[0].span
                citation = cite(candidate, span)
                break
    article = ranking.candidates[chosen].article
    return TimelineEntry(
        published=article.published or "",
        date=_date_of(span, citation.dates),
        text=article.text[span.start : span.end],
        citation=citation,
    )


def _span(ranking: Ranking, spans: Scorer, position: int) -> Span:
    candidate = ranking.candidates[position]
    return ranking.reader_spans.get(position) or scored_span(
        spans, ranking.question, candidate, ranking.views[position]
    )


def _date_of(span: Span, dates: tuple[ResolvedDate, ...]) -> str | None:
    """The resolved date the answer span is (or holds), if any."""
    for resolved in dates:
        if span.start <= resolved.span.start and resolved.span.end <= span.end:
            return resolved.date
        if resolved.span.start <= span.start and span.end <= resolved.span.end:
            return resolved.date
    return None


def _published(entry: TimelineEntry) -> date:
    day = parse_published(entry.published)
    assert day is not None  # only dated articles are entries
    return day


def _when(entry: TimelineEntry) -> tuple[date, str]:
    """The resolved date (its first day) or else the publication day, then the article id."""
    resolved = date.fromisoformat((entry.date + "-01-01")[:10]) if entry.date else None
    return (resolved or _published(entry), entry.citation.doc_id)
