"""The span reader over retrieved hits, with offsets into the articles: ``QA(index, reader=HitReader())``.

``rag.qa`` accepts any object with ``read(question, hits) -> spans`` where a span has ``doc_id``,
``start``, ``end`` (offsets into the article text) and ``score``; this is that object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rag.reader.reader import SpanReader, get_reader
from rag.types import Hit

#: Spans kept per hit, so the answerer still finds one inside the sentence it picked.
DEFAULT_SPANS_PER_HIT = 5


@dataclass(frozen=True)
class HitSpan:
    """A reader span mapped to its article: ``article.text[start:end] == text``.

    ``score`` is the reader's span score minus its no-answer score for that window (> 0: the model
    prefers the span to abstaining); ``span_score``/``no_answer_score`` are the two parts.
    """

    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    span_score: float
    no_answer_score: float
    hit_index: int

    def to_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


class HitReader:
    """Reads the retrieved hits (chunks) of one question in one batch.

    Args:
        reader: the span reader (default: the process-wide one over the shipped weights).
        spans_per_hit: non-overlapping spans kept per hit.
    """

    def __init__(self, reader: SpanReader | None = None, spans_per_hit: int = DEFAULT_SPANS_PER_HIT) -> None:
        if spans_per_hit < 1:
            raise ValueError(f"spans_per_hit must be >= 1, got {spans_per_hit}")
        self.reader = reader
        self.spans_per_hit = spans_per_hit

    def read(self, question: str, passages: Sequence[Hit]) -> list[HitSpan]:
        """Spans of every hit, best ``score`` first, with article offsets (``hit.start`` + span offset).

        Raises:
            TypeError: a passage is not a :class:`rag.types.Hit`.
            rag.reader.ReaderModelMissingError: the shipped weights are missing.
        """
        for index, hit in enumerate(passages):
            if not isinstance(hit, Hit):
                raise TypeError(f"passage {index} must be a rag.types.Hit, got {type(hit).__name__}")
        reader = self.reader or get_reader()
        settings = replace(reader.settings, spans_per_passage=self.spans_per_hit)
        candidates = reader.read(question, [hit.text for hit in passages], settings)
        spans = []
        for candidate in candidates:
            hit = passages[candidate.passage_index]
            spans.append(
                HitSpan(
                    doc_id=hit.doc_id,
                    chunk_id=hit.chunk_id,
                    text=candidate.text,
                    start=hit.start + candidate.start,
                    end=hit.start + candidate.end,
                    score=candidate.margin,
                    span_score=candidate.score,
                    no_answer_score=candidate.no_answer_score,
                    hit_index=candidate.passage_index,
                )
            )
        return sorted(spans, key=lambda span: span.score, reverse=True)
