"""The candidate pool a search re-scores: the union of the dense and the BM25 top lists.

Without a filter the dense list comes from FAISS. With one (a mask of allowed chunk rows), BM25
ranks only allowed rows, and the dense list is an exact search over the allowed chunks' vectors
when they are few, or FAISS's list over-fetched in proportion and filtered when they are many:
a search must return ``k`` passages that all pass.
"""

from __future__ import annotations

import numpy as np

from rag.index.dense import DenseIndex

#: Up to this many allowed chunks, a filtered search scores them all exactly (a few ms);
#: above it, FAISS fetches enough more than asked for that the allowed ones fill the pool.
EXACT_SEARCH_ROWS = 20_000
#: How many times the expected share FAISS over-fetches for a filtered search.
OVERFETCH = 2


def dense_rows(
    dense: DenseIndex,
    row_of_id: dict[int, int],
    vectors: np.ndarray,
    query: np.ndarray,
    size: int,
    allowed: np.ndarray | None,
) -> np.ndarray:
    """Rows of the ``size`` chunks whose vectors are nearest ``query`` (allowed ones only)."""
    if allowed is None:
        return _faiss_rows(dense, row_of_id, query, size)
    count = int(allowed.sum())
    if count > EXACT_SEARCH_ROWS:
        fetch = min(len(allowed), size * OVERFETCH * len(allowed) // count + size)
        rows = _faiss_rows(dense, row_of_id, query, fetch)
        rows = rows[allowed[rows]]
        if len(rows) >= min(size, count):
            return rows[:size]
    allowed_rows = np.flatnonzero(allowed)
    scores = np.asarray(vectors[allowed_rows], dtype=np.float32) @ query
    top = min(size, len(allowed_rows))
    return allowed_rows[np.argpartition(-scores, top - 1)[:top]].astype(np.int64) if top else allowed_rows


def _faiss_rows(dense: DenseIndex, row_of_id: dict[int, int], query: np.ndarray, size: int) -> np.ndarray:
    _, ids = dense.search(query, size)
    return np.asarray([row_of_id[int(i)] for i in ids if int(i) in row_of_id], dtype=np.int64)


def bm25_rows(scores: np.ndarray, size: int, allowed: np.ndarray | None) -> np.ndarray:
    """Rows of the ``size`` best BM25 ``scores`` (allowed ones only)."""
    ranked = scores if allowed is None else np.where(allowed, scores, -np.inf)
    pool = min(size, len(scores) if allowed is None else int(allowed.sum()))
    return np.argpartition(-ranked, pool - 1)[:pool].astype(np.int64) if pool else np.zeros(0, dtype=np.int64)
