"""Hybrid retrieval index: build, load, add, remove, search.

``base`` is the one interface (:class:`SearchIndex`) every storage backend implements; ``core``
is the ``local`` backend's :class:`Index` (search, writes, save and load) over ``contents`` (what
it holds in memory), ``milvus`` the ``milvus`` backend; ``build`` makes one from articles; ``snapshot`` reads and writes the files of one
snapshot and ``store`` makes them live atomically; the pieces: ``dense`` (FAISS), ``sparse``
(BM25), ``fusion``, ``vectors`` (sentence vectors), ``texts``, ``chunkfile``, ``rebuild``.
"""

from rag.index.base import AddReport, SearchIndex
from rag.index.build import build_index, load_index
from rag.index.core import Index
from rag.index.filters import Filter
from rag.index.fusion import FusionSettings
from rag.index.snapshot import SENTENCE_VECTORS_FILE
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
    "Filter",
    "FusionSettings",
    "Index",
    "IndexCorruptError",
    "IndexError_",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "SearchIndex",
    "build_index",
    "load_index",
]
