"""The chunk table of a snapshot: ids and hashes in JSON, offsets in ``.npy`` arrays.

A chunk's text is a slice of its article's text, so it is not stored again; offsets are plain
integer arrays, so loading 100k chunks (500k sentences) is one JSON parse, three array reads
and one vectorized check instead of 100k JSON lines. Snapshots written before this layout
(``chunks.jsonl``, one chunk per line) are still read.

Files: ``chunks.json`` (``{"chunk_id": [...], "doc_id": [...], "hash": [...]}``),
``chunk_spans.npy`` (``[n, 2]`` start/end), ``sentence_counts.npy`` (``[n]``) and
``sentence_spans.npy`` (``[sum of counts, 2]``), all int64.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from rag.index import store
from rag.types import Article, Chunk, Span

CHUNKS_FILE = "chunks.json"
LEGACY_CHUNKS_FILE = "chunks.jsonl"
CHUNK_SPANS_FILE = "chunk_spans.npy"
SENTENCE_COUNTS_FILE = "sentence_counts.npy"
SENTENCE_SPANS_FILE = "sentence_spans.npy"


def write_chunks(folder: Path, chunks: Sequence[Chunk], hashes: Sequence[str]) -> None:
    """Write the chunk table of ``chunks`` (with their content ``hashes``) into ``folder``."""
    store.write_json(
        folder / CHUNKS_FILE,
        {
            "chunk_id": [chunk.chunk_id for chunk in chunks],
            "doc_id": [chunk.doc_id for chunk in chunks],
            "hash": list(hashes),
        },
    )
    bounds = np.array([(chunk.start, chunk.end) for chunk in chunks], dtype=np.int64).reshape(-1, 2)
    counts = np.array([len(chunk.sentences) for chunk in chunks], dtype=np.int64)
    sentences = np.array(
        [(span.start, span.end) for chunk in chunks for span in chunk.sentences], dtype=np.int64
    ).reshape(-1, 2)
    np.save(folder / CHUNK_SPANS_FILE, bounds, allow_pickle=False)
    np.save(folder / SENTENCE_COUNTS_FILE, counts, allow_pickle=False)
    np.save(folder / SENTENCE_SPANS_FILE, sentences, allow_pickle=False)


def _span(start: int, end: int) -> Span:
    """A Span from offsets already checked in bulk (skips the per-object check)."""
    span = object.__new__(Span)
    span.__dict__.update(start=start, end=end)
    return span


def read_chunks(folder: Path, articles: Mapping[str, Article]) -> tuple[list[Chunk], list[str]]:
    """The chunks and hashes stored in ``folder``, texts sliced from ``articles``.

    Raises:
        ValueError: the files disagree with each other or with the articles (unknown article,
            offsets outside its text, sentences outside their chunk).
        OSError: a file is missing or unreadable.
    """
    if not (folder / CHUNKS_FILE).is_file() and (folder / LEGACY_CHUNKS_FILE).is_file():
        rows = store.read_jsonl(folder / LEGACY_CHUNKS_FILE)
        return [Chunk.from_dict(row) for row in rows], [row["hash"] for row in rows]
    table = store.read_json(folder / CHUNKS_FILE)
    chunk_ids, doc_ids, hashes = table["chunk_id"], table["doc_id"], table["hash"]
    bounds = np.load(folder / CHUNK_SPANS_FILE, allow_pickle=False)
    counts = np.load(folder / SENTENCE_COUNTS_FILE, allow_pickle=False)
    sentences = np.load(folder / SENTENCE_SPANS_FILE, allow_pickle=False)
    size = len(chunk_ids)
    if not len(doc_ids) == len(hashes) == size or bounds.shape != (size, 2) or counts.shape != (size,):
        raise ValueError(
            f"chunk table columns differ in length ({size} ids, bounds {bounds.shape}, counts {counts.shape})"
        )
    if sentences.shape != (int(counts.sum()), 2) or (counts < 0).any():
        raise ValueError(
            f"sentence spans {sentences.shape} do not match the counts (sum {int(counts.sum())})"
        )
    unknown = set(doc_ids) - set(articles)
    if unknown:
        raise ValueError(f"chunks refer to {len(unknown)} articles that are not listed")
    lengths = np.array([len(articles[doc_id].text) for doc_id in doc_ids], dtype=np.int64)
    owner = np.repeat(np.arange(size), counts)
    if size and (
        (bounds[:, 0] < 0).any()
        or (bounds[:, 1] < bounds[:, 0]).any()
        or (bounds[:, 1] > lengths).any()
        or (sentences[:, 1] < sentences[:, 0]).any()
        or (sentences[:, 0] < bounds[owner, 0]).any()
        or (sentences[:, 1] > bounds[owner, 1]).any()
    ):
        raise ValueError("chunk or sentence offsets fall outside their article or chunk")
    starts, ends = bounds[:, 0].tolist(), bounds[:, 1].tolist()
    flat = [_span(start, end) for start, end in sentences.tolist()]
    cuts = np.concatenate([[0], np.cumsum(counts)]).tolist()
    chunks = [
        Chunk(
            chunk_id=chunk_ids[row],
            doc_id=doc_ids[row],
            text=articles[doc_ids[row]].text[starts[row] : ends[row]],
            start=starts[row],
            end=ends[row],
            sentences=tuple(flat[cuts[row] : cuts[row + 1]]),
        )
        for row in range(size)
    ]
    return chunks, list(hashes)
