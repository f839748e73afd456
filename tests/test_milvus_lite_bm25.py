"""``rag.index.milvus.lite``: the compact BM25 scorer gives Milvus Lite's own scorer's results,
bit for bit (ids, scores, order of ties), and is what Lite uses once installed."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("milvus_lite", reason="the milvus extra is not installed (pip install -e '.[milvus]')")

from milvus_lite.index import sparse_factory  # noqa: E402
from milvus_lite.index.sparse_inverted import SparseInvertedIndex  # noqa: E402

from rag.index.milvus import lite  # noqa: E402

pytestmark = pytest.mark.skipif(
    not lite.lite_version().startswith(lite.CHECKED_VERSIONS), reason="another Milvus Lite version"
)


def random_rows(rng: np.random.Generator, rows: int, vocabulary: int) -> list[dict[int, float]]:
    """Term -> tf dicts over a small vocabulary (many equal scores), keys like Lite's 32-bit hashes."""
    vectors = []
    for _ in range(rows):
        terms = rng.choice(vocabulary, size=int(rng.integers(0, min(vocabulary, 12))), replace=False)
        vectors.append({int(term) * 2654435761 % 2**32: float(rng.integers(1, 4)) for term in terms})
    return vectors


def both(vectors: list[dict[int, float]], k1: float, b: float, build_mask: np.ndarray | None) -> tuple:
    theirs = SparseInvertedIndex(k1=k1, b=b)
    theirs.build(vectors, build_mask)
    ours = lite.compact_class()(k1=k1, b=b)
    ours.build(vectors, build_mask)
    return theirs, ours


@pytest.mark.parametrize("seed", range(12))
def test_compact_scorer_matches_lites_bit_for_bit(seed):
    rng = np.random.default_rng(seed)
    rows, vocabulary = int(rng.integers(1, 300)), int(rng.integers(2, 40))
    vectors = random_rows(rng, rows, vocabulary)
    build_mask = rng.random(rows) < 0.8 if seed % 3 == 1 else None
    theirs, ours = both(vectors, float(rng.choice([1.2, 1.5])), float(rng.choice([0.75, 0.3])), build_mask)
    assert (ours.doc_count, ours.avgdl) == (theirs.doc_count, theirs.avgdl)
    assert np.array_equal(ours._doc_lengths, theirs._doc_lengths)
    queries = random_rows(rng, 5, vocabulary + 3)
    for top_k in (1, 5, 1000):
        for mask in (None, rng.random(rows) < 0.6):
            their_ids, their_distances = theirs.search(queries, top_k, valid_mask=mask)
            our_ids, our_distances = ours.search(queries, top_k, valid_mask=mask)
            assert np.array_equal(our_ids, their_ids)
            assert np.array_equal(our_distances.view(np.uint32), their_distances.view(np.uint32))


def test_compact_scorer_is_smaller_and_saves_lites_layout(tmp_path):
    vectors = random_rows(np.random.default_rng(7), 2000, 500)
    theirs, ours = both(vectors, 1.2, 0.75, None)
    postings = sum(len(vector) for vector in vectors)
    assert ours.rows.nbytes + ours.tfs.nbytes == 8 * postings
    ours.save(str(tmp_path / "ours.json"))
    theirs.save(str(tmp_path / "theirs.json"))
    loaded = SparseInvertedIndex.load(str(tmp_path / "ours.json"))
    assert loaded._posting_lists == SparseInvertedIndex.load(str(tmp_path / "theirs.json"))._posting_lists


def test_install_replaces_only_the_bm25_scorer():
    assert lite.install()
    assert lite.install()  # idempotent
    bm25 = sparse_factory.create_sparse_index("BM25", {"bm25_k1": 1.2, "bm25_b": 0.75})
    assert isinstance(bm25, lite.CompactBM25Index) and isinstance(bm25, SparseInvertedIndex)
    assert (bm25.k1, bm25.b) == (1.2, 0.75)
    assert sparse_factory.sparse_index_matches(bm25, "BM25", {"bm25_k1": 1.2, "bm25_b": 0.75})
    assert not isinstance(sparse_factory.create_sparse_index("IP", {}), lite.CompactBM25Index)
