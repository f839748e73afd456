"""The plug for a trained span reader: ``QA(index, reader=MyReader())``.

Without a reader, the answer span inside the chosen sentence comes from the small linear
span scorer (``rag.qa.spans``). A reader sees the question and the retrieved passages and
proposes spans with scores; the answerer keeps the sentence ranking (and so the citation
and the confidence) and takes the reader's best span inside the chosen sentence, falling
back to its own pick when the reader proposes none there.
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


@runtime_checkable
class Reader(Protocol):
    """Anything with this method can read: passages are retrieved hits, best first."""

    def read(self, question: str, passages: Sequence[Hit]) -> Sequence[ReaderSpan]:
        """Answer spans found in ``passages`` (offsets into the articles, as ``Hit.start`` is)."""
        ...
