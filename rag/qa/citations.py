"""Citations: where an answer comes from, with offsets into the article text."""

from __future__ import annotations

from rag.qa.dates import resolve_dates
from rag.qa.sentences import Candidate
from rag.types import Citation, Span


def cite(candidate: Candidate, answer: Span) -> Citation:
    """A citation of ``answer`` (article offsets) inside ``candidate``'s sentence and passage.

    Raises:
        ValueError: ``answer`` is not inside the candidate's sentence.
    """
    sentence = candidate.span
    if not sentence.start <= answer.start <= answer.end <= sentence.end:
        raise ValueError(f"answer span {answer} is outside its sentence {sentence}")
    article = candidate.article
    chunk = candidate.chunk
    return Citation(
        doc_id=article.doc_id,
        title=article.title,
        source=article.source,
        published=article.published,
        path=article.path,
        kind=article.kind,
        quote=candidate.text,
        span=answer,
        sentence_span=sentence,
        passage=chunk.text,
        passage_span=Span(chunk.start, chunk.end),
        dates=resolve_dates(article.text, sentence.start, sentence.end, article.published),
        url=article.url,
        page=article.page_at(answer.start),
    )


def find_in_sentence(candidate: Candidate, text: str) -> Span | None:
    """Article offsets of the first case-insensitive occurrence of ``text`` in the sentence."""
    if not text:
        return None
    found = candidate.text.lower().find(text.lower())
    if found < 0:
        return None
    return Span(candidate.span.start + found, candidate.span.start + found + len(text))
