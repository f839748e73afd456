"""The candidate pool a search re-scores: the union of the dense and the BM25 top lists.

Without a filter the dense list comes from FAISS. With one (a mask of allowed chunk rows) it is
an exact search over the allowed chunks' vectors, and BM25 ranks only allowed rows: FAISS's own
top list could hold none of them, and a search must return ``k`` passages that all pass.
"""

from __future__ import annotations

import numpy as np

from rag.index.dense import DenseIndex


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
        _, ids = dense.search(query, size)
        return np.asarray([row_of_id[int(i)] for i in ids if int(i) in row_of_id], dtype=np.int64)
    allowed_rows = np.flatnonzero(allowed)
    scores = np.asarray(vectors[allowed_rows], dtype=np.float32) @ query
    top = min(size, len(allowed_rows))
    return allowed_rows[np.argpartition(-scores, top - 1)[:top]].astype(np.int64) if top else allowed_rows


def bm25_rows(scores: np.ndarray, size: int, allowed: np.ndarray | None) -> np.ndarray:
    """Rows of the ``size`` best BM25 ``scores`` (allowed ones only)."""
    ranked = scores if allowed is None else np.where(allowed, scores, -np.inf)
    pool = min(size, len(scores) if allowed is None else int(allowed.sum()))
    return np.argpartition(-ranked, pool - 1)[:pool].astype(np.int64) if pool else np.zeros(0, dtype=np.int64)
