"""Dense side of the index: FAISS inner product over normalized vectors.

Exact ``IndexFlatIP`` below ``approximate_above`` vectors, ``IndexHNSWFlat``
above it; both wrapped in ``IndexIDMap2`` so chunks keep stable int64 ids.
Inner product equals cosine because every vector is unit length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np

DenseKind = Literal["flat", "hnsw"]
DEFAULT_APPROXIMATE_ABOVE = 50_000
HNSW_NEIGHBORS = 32
HNSW_EF_SEARCH = 128
#: The most candidates a filtered HNSW search looks at (512: about 0.5 ms at 100k chunks).
HNSW_EF_FILTERED_MAX = 512
# One question is one tiny search: starting OpenMP threads costs far more than the work
# (1,009 vectors on 2 busy cores: 15 ms with 2 threads, 0.03 ms with 1; 100k: 94 vs 14 ms).
SEARCH_THREADS = 1
_build_threads: int | None = None  # FAISS's own default, kept for building


def _faiss():  # type: ignore[no-untyped-def]
    global _build_threads
    import faiss

    if _build_threads is None:
        _build_threads = faiss.omp_get_max_threads()
    return faiss


class DenseIndex:
    """Vectors by chunk id, searchable by cosine."""

    def __init__(self, dimension: int, approximate_above: int = DEFAULT_APPROXIMATE_ABOVE) -> None:
        self.dimension = dimension
        self.approximate_above = approximate_above
        self._index = None
        self.kind: DenseKind = "flat"

    def _empty(self, kind: DenseKind):  # type: ignore[no-untyped-def]
        faiss = _faiss()
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(self.dimension, HNSW_NEIGHBORS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(self.dimension)
        return faiss.IndexIDMap2(inner)

    def build(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        """(Re)build from all vectors; picks flat or HNSW by size."""
        self.kind = "hnsw" if len(ids) > self.approximate_above else "flat"
        self._index = index = self._empty(self.kind)
        if len(ids):
            _faiss().omp_set_num_threads(_build_threads or 1)
            index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))

    @property
    def size(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None, allowed_share: float = 1.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest vectors, best first, among ``allowed_ids`` (a bitmap
        over chunk ids, bit ``i`` of byte ``i // 8`` little-endian) when given; FAISS filters while
        it searches, so it may return fewer than ``k``: HNSW then looks at more candidates, in
        proportion to how few are allowed (``allowed_share``), up to :data:`HNSW_EF_FILTERED_MAX`."""
        if self._index is None or self.size == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        faiss = _faiss()
        faiss.omp_set_num_threads(SEARCH_THREADS)
        params = None
        if allowed_ids is not None:
            selector = faiss.IDSelectorBitmap(len(allowed_ids) * 8, faiss.swig_ptr(allowed_ids))
            if self.kind == "hnsw":
                wider = int(HNSW_EF_SEARCH / max(allowed_share, 1e-6))
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=min(wider, HNSW_EF_FILTERED_MAX))
            else:
                params = faiss.SearchParameters(sel=selector)
        scores, ids = self._index.search(
            query.reshape(1, -1).astype(np.float32), min(k, self.size), params=params
        )
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, folder: Path) -> None:
        if self._index is not None:
            _faiss().write_index(self._index, str(folder / "dense.faiss"))

    def load(self, folder: Path, kind: DenseKind, size: int) -> None:
        self.kind = kind
        if size == 0:
            self._index = self._empty(kind)
            return
        index = _faiss().read_index(str(folder / "dense.faiss"))
        if index.d != self.dimension:
            raise ValueError(f"FAISS file has dimension {index.d}, the index expects {self.dimension}")
        if index.ntotal != size:
            raise ValueError(f"FAISS file holds {index.ntotal} vectors, the index lists {size}")
        self._index = index
