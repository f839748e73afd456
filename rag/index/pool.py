"""The candidate pool a search re-scores: the union of the dense and the BM25 top lists.

Without a filter the dense list comes from FAISS. With one (:class:`Allowed`: the chunk rows
whose articles pass), BM25 ranks only allowed rows, and the dense list is an exact search over
the allowed chunks' vectors when they are few, or FAISS's search with a selector of their ids
(it skips the others as it goes) when they are many: a search must return ``k`` passages that
all pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.index.dense import DenseIndex

#: Up to this many allowed chunks a filtered search scores them all exactly (a few ms); above,
#: FAISS searches with a selector of the allowed chunk ids.
EXACT_SEARCH_ROWS = 5_000


@dataclass(frozen=True)
class Allowed:
    """The chunks a filter lets through, in the forms a search needs (made once per filter).

    Attributes:
        mask: one bool per chunk row.
        rows: the allowed rows, ascending.
        id_bitmap: FAISS's selector bitmap over chunk ids (bit ``i`` of byte ``i // 8``).
    """

    mask: np.ndarray
    rows: np.ndarray
    id_bitmap: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray, ids: np.ndarray) -> Allowed:
        present = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
        present[ids[mask]] = True
        return cls(mask, np.flatnonzero(mask), np.packbits(present, bitorder="little"))

    @property
    def share(self) -> float:
        return len(self.rows) / max(len(self.mask), 1)


def dense_rows(
    dense: DenseIndex,
    row_of_id: dict[int, int],
    vectors: np.ndarray,
    query: np.ndarray,
    size: int,
    allowed: Allowed | None,
) -> np.ndarray:
    """Rows of the ``size`` chunks whose vectors are nearest ``query`` (allowed ones only)."""
    if allowed is None:
        return _faiss_rows(dense, row_of_id, query, size)
    count = len(allowed.rows)
    if count > EXACT_SEARCH_ROWS:
        rows = _faiss_rows(dense, row_of_id, query, size, allowed.id_bitmap, allowed.share)
        if len(rows) >= min(size, count) // 2:  # else too few allowed near the query: score them all
            return rows
    scores = np.asarray(vectors[allowed.rows], dtype=np.float32) @ query
    top = min(size, count)
    return allowed.rows[np.argpartition(-scores, top - 1)[:top]].astype(np.int64) if top else allowed.rows


def _faiss_rows(
    dense: DenseIndex,
    row_of_id: dict[int, int],
    query: np.ndarray,
    size: int,
    allowed_ids: np.ndarray | None = None,
    allowed_share: float = 1.0,
) -> np.ndarray:
    _, ids = dense.search(query, size, allowed_ids, allowed_share)
    return np.asarray([row_of_id[int(i)] for i in ids if int(i) in row_of_id], dtype=np.int64)


def bm25_rows(scores: np.ndarray, size: int, allowed: Allowed | None) -> np.ndarray:
    """Rows of the ``size`` best BM25 ``scores`` (allowed ones only)."""
    rows = allowed.rows if allowed is not None else None
    ranked = scores if rows is None else scores[rows]
    pool = min(size, len(ranked))
    if not pool:
        return np.zeros(0, dtype=np.int64)
    best = np.argpartition(-ranked, pool - 1)[:pool]
    return (best if rows is None else rows[best]).astype(np.int64)
