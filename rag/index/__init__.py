"""Hybrid retrieval index: build, load, add, remove, search.

``core`` is the :class:`Index` (search and writes), ``build`` and ``snapshot`` make and load
one, ``store`` keeps its snapshots on disk; the pieces: ``dense`` (FAISS), ``sparse`` (BM25),
``fusion``, ``vectors`` (sentence vectors), ``texts``, ``chunkfile``, ``rebuild``.
"""

from rag.index.build import build_index
from rag.index.core import AddReport, Index
from rag.index.fusion import FusionSettings
from rag.index.snapshot import SENTENCE_VECTORS_FILE, load_index
from rag.index.store import (
    FORMAT_VERSION,
    IndexCorruptError,
    IndexError_,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
)

__all__ = [
    "FORMAT_VERSION",
    "SENTENCE_VECTORS_FILE",
    "AddReport",
    "FusionSettings",
    "Index",
    "IndexCorruptError",
    "IndexError_",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "build_index",
    "load_index",
]
