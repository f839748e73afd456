"""Typed results shared by every pipeline step.

All offsets are character offsets into ``Article.text`` (the cleaned text), so
``article.text[span.start:span.end]`` is always the quoted string.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ArticleKind = Literal["article", "teaser"]
DateGranularity = Literal["day", "month", "year"]


@dataclass(frozen=True)
class Span:
    """Half-open character range ``[start, end)`` into an article's text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid span: start={self.start}, end={self.end}")

    def __len__(self) -> int:
        return self.end - self.start

    def shift(self, offset: int) -> Span:
        return Span(self.start + offset, self.end + offset)

    def to_dict(self) -> dict[str, int]:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class Article:
    """One cleaned document: a main article or a teaser split off a page."""

    doc_id: str
    title: str
    text: str
    source: str | None = None
    published: str | None = None  # ISO 8601 date or datetime
    url: str | None = None
    path: str | None = None
    kind: ArticleKind = "article"
    author: str | None = None
    #: Where each page of a PDF starts in ``text``: page ``n`` begins at ``pages[n - 1]``
    #: (``pages[0] == 0``). Empty for documents that have no pages.
    pages: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character ``offset`` of ``text``; None without pages."""
        if not self.pages:
            return None
        return max(1, bisect_right(self.pages, offset))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pages"] = list(self.pages)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        known = {key: data.get(key) for key in cls.__dataclass_fields__ if key in data}
        if "pages" in known:  # JSON lists; indexes written before PDFs have no such key
            known["pages"] = tuple(int(offset) for offset in known["pages"] or ())
        return cls(**known)  # type: ignore[arg-type]  # JSON in, the dataclass's own types out


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article, with offsets into its text."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "sentences": [[span.start, span.end] for span in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(
            chunk_id=data["chunk_id"],
            doc_id=data["doc_id"],
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            sentences=tuple(Span(int(s), int(e)) for s, e in data["sentences"]),
        )


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk, best first in a result list."""

    doc_id: str
    chunk_id: str
    title: str
    text: str
    start: int
    end: int
    score: float
    dense_score: float
    bm25_score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ResolvedDate:
    """A relative or partial date of a quoted sentence ("on Monday", "in May"), resolved against
    its article's publication date.

    Attributes:
        text: the words as written (``article.text[span.start:span.end]``).
        span: their offsets into the article text.
        date: ISO 8601 to the granularity: "2019-09-02" (day), "2019-05" (month), "2019" (year).
        granularity: ``"day"``, ``"month"`` or ``"year"``.
    """

    text: str
    span: Span
    date: str
    granularity: DateGranularity

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "start": self.span.start,
            "end": self.span.end,
            "date": self.date,
            "granularity": self.granularity,
        }


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from, precise enough to highlight it."""

    doc_id: str
    title: str
    source: str | None
    published: str | None
    path: str | None
    kind: ArticleKind
    quote: str  # the supporting sentence
    span: Span  # the answer inside the article text
    sentence_span: Span
    passage: str  # the chunk text around it
    passage_span: Span
    #: Relative or partial dates of ``quote``, resolved against ``published``.
    dates: tuple[ResolvedDate, ...] = ()
    #: The web address the article was fetched from (``rag index URL``, feeds), else None.
    url: str | None = None
    #: The PDF page (1-based) the answer span starts on; None for documents without pages.
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("span", "sentence_span", "passage_span"):
            data[key] = getattr(self, key).to_dict()
        data["dates"] = [resolved.to_dict() for resolved in self.dates]
        return data


@dataclass(frozen=True)
class TimelineEntry:
    """One article's answer in an answer's timeline (``Answer.timeline``).

    Attributes:
        published: the article's publication date (ISO 8601).
        date: the date the answer text is, resolved ("2018-05-03", "2019-05", "2018"), or None.
        text: the answer found in that article.
        citation: where: the article, the sentence and the span.
    """

    published: str
    date: str | None
    text: str
    citation: Citation

    def to_dict(self) -> dict[str, Any]:
        return {
            "published": self.published,
            "date": self.date,
            "text": self.text,
            "citation": self.citation.to_dict(),
        }


@dataclass(frozen=True)
class Answer:
    """An extractive answer: verbatim text, its sentence, confidence and evidence."""

    question: str
    found: bool
    text: str
    sentence: str
    score: float
    citations: tuple[Citation, ...] = ()
    alternatives: tuple[Answer, ...] = ()
    message: str = ""
    #: Relative or partial dates of ``sentence`` (those of its first citation).
    dates: tuple[ResolvedDate, ...] = ()
    #: Answers of articles published on different days that differ, oldest first (else empty).
    timeline: tuple[TimelineEntry, ...] = ()
    #: Alternatives from other sources of the same days that say otherwise (``rag.qa.conflicts``).
    conflicts: tuple[Answer, ...] = ()

    @property
    def agreeing_articles(self) -> int:
        """How many articles' quoted sentences state this answer (its citations' articles)."""
        return len({citation.doc_id for citation in self.citations})

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "found": self.found,
            "text": self.text,
            "sentence": self.sentence,
            "score": round(float(self.score), 4),
            "citations": [citation.to_dict() for citation in self.citations],
            "alternatives": [alternative.to_dict() for alternative in self.alternatives],
            "message": self.message,
            "dates": [resolved.to_dict() for resolved in self.dates],
            "timeline": [entry.to_dict() for entry in self.timeline],
            "agreeing_articles": self.agreeing_articles,
            "conflicts": [conflict.to_dict() for conflict in self.conflicts],
        }
