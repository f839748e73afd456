"""A compact BM25 scorer for embedded Milvus Lite: the same scores in a tenth of the memory.

Milvus Lite 3.2 (pure Python, in this process) scores a ``BM25`` search with a per-segment
``SparseInvertedIndex`` that it builds on the first search and keeps: a dict of Python lists of
``(row, tf)`` tuples, about 130 bytes per posting. Our chunks have ~54 distinct words and our
sentences ~18, so those caches take about 14 kB per indexed chunk, almost half of what serving
an index costs (measured at 100k chunks: 1.43 of 3.2 GB). :class:`CompactBM25Index` keeps the
same postings as numpy arrays (row ``int32`` + tf ``float32``, 8 bytes each), and scores them with
the very float32 operations, in the same order, as Lite's class does (its values mix Python
floats with ``numpy.float32`` document lengths), so ids, scores and the order of ties are
bit-for-bit Lite's (``tests/test_milvus_lite_bm25.py`` checks it against Lite's own class).

:func:`install` makes Lite's ``create_sparse_index`` return it for BM25; it is called when an
index connects to a Lite file (``schema.connect``). A Milvus server, or ``milvus-lite server`` in
another process, is untouched. It installs nothing unless Lite is the version it was checked on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from importlib import metadata
from itertools import chain
from typing import Any

import numpy as np

#: Milvus Lite versions whose sparse scorer this one reproduces (checked on 3.2.2).
CHECKED_VERSIONS = ("3.2.",)
_installed = False


def lite_version() -> str:
    try:
        return metadata.version("milvus-lite")
    except metadata.PackageNotFoundError:
        return ""


def install() -> bool:
    """Make Milvus Lite build :class:`CompactBM25Index` for BM25 searches (idempotent); False,
    installing nothing, where Lite is missing or another version than :data:`CHECKED_VERSIONS`."""
    global _installed
    if _installed:
        return True
    if not lite_version().startswith(CHECKED_VERSIONS):
        return False
    try:
        from milvus_lite.index import sparse_factory
    except ImportError:
        return False
    original = sparse_factory.create_sparse_index
    compact = compact_class()

    def create_sparse_index(metric_type: str, params: dict[str, Any]) -> Any:
        if metric_type == "BM25":
            return compact(k1=float(params.get("bm25_k1", 1.5)), b=float(params.get("bm25_b", 0.75)))
        return original(metric_type, params)

    sparse_factory.create_sparse_index = create_sparse_index
    _installed = True
    return True


_compact: type | None = None


def compact_class() -> type:
    """:class:`CompactBM25Index`, a subclass of Lite's ``SparseInvertedIndex`` (Lite checks that a
    cached scorer is one), made on first use so that importing this module needs no Lite."""
    global _compact
    if _compact is None:
        from milvus_lite.index.sparse_inverted import SparseInvertedIndex

        _compact = type("CompactBM25Index", (CompactBM25Index, SparseInvertedIndex), {})
    return _compact


class CompactBM25Index:
    """Lite's per-segment BM25 scorer (``SparseInvertedIndex``: build, search, save) over postings
    in numpy arrays sorted by term: ``terms[t]``'s rows are ``rows[starts[t]:starts[t + 1]]``,
    ascending, with their term frequencies in ``tfs``."""

    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.doc_count = 0
        self.avgdl = 0.0
        self._doc_lengths = np.zeros(0, dtype=np.float32)
        self.terms = np.zeros(0, dtype=np.uint32)
        self.starts = np.zeros(1, dtype=np.int64)
        self.rows = np.zeros(0, dtype=np.int32)
        self.tfs = np.zeros(0, dtype=np.float32)

    def build(self, sparse_vectors: Sequence[Mapping[int, float]], valid_mask: Any = None) -> None:
        """Index ``sparse_vectors`` (one term -> tf dict per row); rows False in ``valid_mask`` are
        left out (and not counted), as Lite does."""
        from milvus_lite.index.sparse_common import validate_mask

        count = len(sparse_vectors)
        mask = validate_mask(valid_mask, count)
        kept = [vector if mask is None or mask[row] else {} for row, vector in enumerate(sparse_vectors)]
        lengths = np.fromiter((len(vector) for vector in kept), dtype=np.int64, count=count)
        total = int(lengths.sum())
        terms = np.fromiter(chain.from_iterable(kept), dtype=np.uint32, count=total)
        tfs = np.fromiter(
            chain.from_iterable(vector.values() for vector in kept), dtype=np.float64, count=total
        )
        rows = np.repeat(np.arange(count, dtype=np.int32), lengths)
        del kept
        sums = np.bincount(rows, weights=tfs, minlength=count)  # row by row, in order, as Lite's sum()
        self._doc_lengths = sums.astype(np.float32)
        self.doc_count = count if mask is None else int(mask.sum())
        total_length = 0.0
        for value in sums.tolist():  # Lite adds the rows' lengths one by one, in double
            total_length += value
        self.avgdl = total_length / self.doc_count if self.doc_count > 0 else 0.0
        order = np.argsort(terms, kind="stable")  # rows stay ascending within a term
        self.terms, first = np.unique(terms[order], return_index=True)
        self.starts = np.append(first, total).astype(np.int64)
        self.rows = rows[order]
        self.tfs = tfs[order].astype(np.float32)

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows holding ``term`` and its frequency in each (empty arrays if none)."""
        at = int(np.searchsorted(self.terms, term))
        if at == len(self.terms) or int(self.terms[at]) != term:
            return self.rows[:0], self.tfs[:0]
        start, end = self.starts[at], self.starts[at + 1]
        return self.rows[start:end], self.tfs[start:end]

    def search(
        self, query_sparse_vectors: Sequence[Mapping[int, float]], top_k: int, valid_mask: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``top_k`` rows per query: (row ids, -BM25), padded with -1 / inf, as Lite's."""
        from milvus_lite.index.sparse_common import empty_results, validate_mask

        mask = validate_mask(valid_mask, len(self._doc_lengths))
        all_ids, all_dists = empty_results(len(query_sparse_vectors), top_k)
        if self.doc_count == 0:
            return all_ids, all_dists
        for number, query in enumerate(query_sparse_vectors):
            ids, scores = self.score(query, mask)
            keep = min(top_k, len(ids))
            all_ids[number, :keep] = ids[:keep]
            all_dists[number, :keep] = -scores[:keep]
        return all_ids, all_dists

    def score(self, query: Mapping[int, float], mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Every matching row, best first, and its score. Lite computes each term's share in
        float32 (``b * dl`` with ``dl`` a ``numpy.float32``), adds them up term by term, and sorts
        stably by score: equal scores keep the order rows first matched (term, then row)."""
        f32 = np.float32
        k1, b = self.k1, self.b
        avgdl = self.avgdl if self.avgdl > 0 else 1.0
        total = np.zeros(len(self._doc_lengths), dtype=np.float32)
        first = np.full(len(self._doc_lengths), len(query), dtype=np.int64)
        for number, (term, weight) in enumerate(query.items()):
            rows, tfs = self.postings(term)
            if not len(rows):
                continue
            df = len(rows)
            idf = math.log((self.doc_count - df + 0.5) / (df + 0.5) + 1.0)
            if mask is not None:
                wanted = mask[rows]
                rows, tfs = rows[wanted], tfs[wanted]
            lengths = self._doc_lengths[rows]
            numerator = (tfs.astype(np.float64) * (k1 + 1.0)).astype(f32)
            denominator = tfs + f32(k1) * (f32(1.0 - b) + f32(b) * lengths / f32(avgdl))
            total[rows] += f32(idf) * (numerator / denominator) * f32(weight)
            first[rows] = np.minimum(first[rows], number)
        matched = np.flatnonzero(first < len(query))
        order = np.lexsort((matched, first[matched], -total[matched]))
        return matched[order], total[matched][order]

    def save(self, path: str) -> None:
        """Write Lite's JSON layout (Lite never saves BM25 scorers; kept for its interface)."""
        lists = {
            str(int(term)): [[int(row), float(tf)] for row, tf in zip(*self.postings(int(term)), strict=True)]
            for term in self.terms
        }
        data = {
            "k1": self.k1,
            "b": self.b,
            "doc_count": self.doc_count,
            "avgdl": self.avgdl,
            "doc_lengths": self._doc_lengths.tolist(),
            "posting_lists": lists,
            "df": {key: len(value) for key, value in lists.items()},
        }
        with open(path, "w", encoding="utf-8") as file:
            json.dump(data, file)

    @property
    def index_type(self) -> str:
        return "SPARSE_INVERTED_INDEX"
