"""Span reader: a small BERT (all-MiniLM-L6-v2) with start/end heads, trained here on SQuAD.

    from rag.reader import SpanReader
    candidates = SpanReader().read(question, [passage_text, ...])

Runtime only (reading needs onnxruntime and tokenizers, not torch). The shipped weights are trained
by ``rag train reader`` (``rag.training.reader``); nothing here imports the training code.
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
