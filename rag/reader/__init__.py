"""Span reader: a small BERT (all-MiniLM-L6-v2) with start/end heads, trained here on SQuAD.

    from rag.reader import SpanReader
    candidates = SpanReader().read(question, [passage_text, ...])

Train the shipped weights with ``python -m rag.reader.train`` (or ``rag train-reader``).
"""

from rag.reader.hits import HitReader, HitSpan
from rag.reader.reader import (
    DEFAULT_MODEL_DIR,
    ReaderModelMissingError,
    ReaderSettings,
    SpanCandidate,
    SpanReader,
    get_reader,
)

__all__ = [
    "DEFAULT_MODEL_DIR",
    "HitReader",
    "HitSpan",
    "ReaderModelMissingError",
    "ReaderSettings",
    "SpanCandidate",
    "SpanReader",
    "get_reader",
]
