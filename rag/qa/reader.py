"""The plug for a trained span reader: ``QA(index, reader=MyReader())``.

Without a reader, the answer span inside the chosen sentence comes from the small linear
span scorer (``rag.qa.spans``). With one, the answerer hands it the best few sentences, each
in a small window of its neighbours (as pseudo hits with article offsets), and the spans it
proposes inside each sentence re-rank those sentences and give the answer span
(``rag.qa.rerank``); sentences where it proposes nothing fall back to the span scorer.
``score`` must be comparable across the passages of one call (e.g. the span's margin over
the reader's no-answer score).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rag.types import Hit


@dataclass(frozen=True)
class ReaderSpan:
    """A proposed answer: article ``doc_id``, offsets ``[start, end)`` into its text, a score (higher is better)."""

    doc_id: str
    start: int
    end: int
    score: float


class ProposedSpan(Protocol):
    """What the answerer reads of a reader's span: :class:`ReaderSpan` or any object with these
    attributes (the shipped reader's ``rag.reader.HitSpan`` carries more)."""

    @property
    def doc_id(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def score(self) -> float: ...


@runtime_checkable
class Reader(Protocol):
    """Anything with this method can read: passages are retrieved hits, best first."""

    def read(self, question: str, passages: Sequence[Hit]) -> Sequence[ProposedSpan]:
        """Answer spans found in ``passages`` (offsets into the articles, as ``Hit.start`` is)."""
        ...
