"""Sentence vectors: embedding only what is new, chunk vectors from them, max-sim per chunk.

The index embeds every distinct sentence once (``embed_new``); a chunk's FAISS vector is the
unit-length mean of its sentences' (``chunk_means``); a chunk's dense signal is its best
sentence's score (``best_per_chunk``). The sentences of chunk row ``r`` are rows
``offsets[r]:offsets[r + 1]`` of the sentence arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

#: Sentence vectors are stored in half precision (cosines change by about 1e-3; 100k chunks'
#: half a million sentences take 370 MB on disk, memory-mapped, instead of 740 MB).
SENTENCE_VECTOR_DTYPE = np.float16


def unit_vectors(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def chunk_means(sentence_vectors: np.ndarray, counts: Sequence[int]) -> np.ndarray:
    """Per chunk, the unit-length mean of its ``counts[i]`` consecutive sentence vectors."""
    if not len(counts):
        return np.zeros((0, sentence_vectors.shape[1]), dtype=np.float32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return unit_vectors(np.add.reduceat(np.asarray(sentence_vectors, dtype=np.float32), starts, axis=0))


def sentence_rows(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sentence rows of chunk ``rows``, concatenated, and where each chunk's group starts."""
    starts, ends = offsets[rows], offsets[rows + 1]
    lengths = ends - starts  # every chunk holds at least one sentence
    group_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    gathered = np.repeat(starts - group_starts, lengths) + np.arange(int(lengths.sum()))
    return gathered, group_starts


def best_per_chunk(
    offsets: np.ndarray, rows: np.ndarray, score: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Per chunk row, the highest of ``score(sentence rows)`` over its sentences."""
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    gathered, group_starts = sentence_rows(offsets, rows)
    return np.maximum.reduceat(score(gathered), group_starts).astype(np.float32)


def embed_new(
    texts: Sequence[str],
    digests: Sequence[str],
    encode: Callable[[list[str]], np.ndarray],
    dimension: int,
    cache: Mapping[str, np.ndarray],
    indexed: Mapping[str, int],
    indexed_vectors: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Vectors of ``texts`` (``digests`` are their content hashes), and how many were embedded.

    A text is taken from ``cache`` (vectors by hash, e.g. from a previous build), else from
    the index's own rows (``indexed``: hash → row of ``indexed_vectors``), else embedded, each
    distinct text once with ``encode`` (not called when nothing is new: no model is loaded).
    """
    missing = sorted(
        {d: t for d, t in zip(digests, texts, strict=True) if d not in cache and d not in indexed}.items()
    )
    known = dict(cache)
    if missing:
        vectors = encode([text for _, text in missing])
        known.update((digest, vector) for (digest, _), vector in zip(missing, vectors, strict=True))
    result = np.zeros((len(digests), dimension), dtype=SENTENCE_VECTOR_DTYPE)
    for row, digest in enumerate(digests):
        if digest in known:
            result[row] = known[digest]
    reused = [(row, indexed[digest]) for row, digest in enumerate(digests) if digest not in known]
    if reused:  # already in this index: one gather from the (memory-mapped) vectors
        into, source = np.array(reused, dtype=np.int64).T
        result[into] = indexed_vectors[source]
    return result, len(missing)
