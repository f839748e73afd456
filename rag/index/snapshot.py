"""One snapshot of an index on disk: writing its files, and loading (and checking) it back.

``store`` makes a written snapshot live atomically; loading retries when a writer swaps the
live snapshot mid-read, and reports any broken file as :class:`IndexCorruptError` and any
other format, model or chunking than asked for as :class:`IndexMismatchError`, each with the
command that rebuilds the index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from rag.chunk import ChunkSettings
from rag.embed import Embedder
from rag.index import store
from rag.index.chunkfile import read_chunks, write_chunks
from rag.index.core import Index
from rag.index.fusion import FusionSettings
from rag.index.sparse import SparseSettings
from rag.index.store import FORMAT_VERSION, IndexCorruptError, IndexError_, IndexMismatchError
from rag.index.texts import content_hash
from rag.types import Article

logger = logging.getLogger(__name__)

LOAD_ATTEMPTS = 3  # a writer may swap and delete the snapshot while it is being read
SENTENCE_VECTORS_FILE = "sentence_embeddings.npy"


def manifest(index: Index) -> dict[str, object]:
    """What ``manifest.json`` records: format, model, settings, counts, sources, article hashes."""
    return {
        "format_version": store.FORMAT_VERSION,
        # The backend is recorded so vectors of another backend are never reused as a cache.
        "model": {"name": index.model_name, "dimension": index.dimension, "backend": index.embedder.backend},
        # What computed the vectors on the machine that wrote this snapshot (for bug reports).
        "runtime": index.embedder.runtime(),
        "chunking": index.chunk_settings.to_dict(),
        "fusion": index.fusion.to_dict(),
        "sparse": index.sparse.settings.to_dict(),
        "dense": {
            "kind": index.dense.kind,
            "approximate_above": index.dense.approximate_above,
            "embedded": "sentences (float16); chunk signal = best sentence cosine, FAISS = chunk mean",
        },
        "counts": {"articles": len(index._articles), "chunks": len(index.chunks)},
        "next_id": index.next_id,
        "sources": index.sources,
        "articles": {doc_id: content_hash(a.text) for doc_id, a in index._articles.items()},
    }


def write_files(index: Index, folder: Path) -> None:
    """Every file of one snapshot of ``index`` into ``folder`` (``store.write_snapshot`` makes it live)."""
    store.write_jsonl(folder / "articles.jsonl", (a.to_dict() for a in index._articles.values()))
    write_chunks(folder, index.chunks, index.hashes)
    np.save(folder / "embeddings.npy", index.vectors, allow_pickle=False)
    np.save(folder / SENTENCE_VECTORS_FILE, index.sentence_vectors, allow_pickle=False)
    np.save(folder / "ids.npy", index.ids, allow_pickle=False)
    index.dense.save(folder)
    index.sparse.save(folder)
    index.sentence_sparse.save(folder)
    store.write_json(folder / "manifest.json", manifest(index))


def _check(
    manifest: dict, index_dir: Path, embedder: Embedder | None, chunk_settings: ChunkSettings | None
) -> None:
    hint = store.rebuild_hint(index_dir)
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has format version {version}, this version of rag reads {FORMAT_VERSION}; {hint}"
        )
    from rag.embed import MODEL_DIMENSION, MODEL_NAME

    want_model = embedder.model_name if embedder else MODEL_NAME
    want_dimension = embedder.dimension if embedder else MODEL_DIMENSION
    model = manifest.get("model", {})
    if model.get("name") != want_model or model.get("dimension") != want_dimension:
        raise IndexMismatchError(
            f"index at {index_dir} was built with model {model.get('name')} ({model.get('dimension')} dims), "
            f"but this process uses {want_model} ({want_dimension} dims); {hint}"
        )
    if chunk_settings is not None and manifest.get("chunking") != chunk_settings.to_dict():
        raise IndexMismatchError(
            f"index at {index_dir} was chunked with {manifest.get('chunking')}, "
            f"but {chunk_settings.to_dict()} was asked for; {hint}"
        )


def _load_sentence_bm25(index: Index, folder: Path) -> None:
    """Read the sentence-level BM25, or build it for snapshots written before it existed."""
    counts = [len(chunk.sentences) for chunk in index.chunks]
    index.sentence_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
    if index.sentence_sparse.exists(folder) or not index.chunks:
        index.sentence_sparse.load(folder, int(index.sentence_offsets[-1]))
    else:
        logger.info("%s has no sentence BM25; building it in memory", folder)
        index._build_sentence_bm25()


def load_index(
    index_dir: str | Path,
    embedder: Embedder | None = None,
    chunk_settings: ChunkSettings | None = None,
) -> Index:
    """Load a persisted index.

    Raises:
        IndexNotFoundError: nothing at ``index_dir``.
        IndexCorruptError: a file is missing, truncated or unreadable.
        IndexMismatchError: another format version, model or chunking than asked for.
    """
    index_dir = Path(index_dir)
    for attempt in range(1, LOAD_ATTEMPTS + 1):
        live = store.live_snapshot_name(index_dir)
        try:
            return _load_snapshot(index_dir, store.snapshot_path(index_dir), embedder, chunk_settings)
        except IndexCorruptError:
            if attempt == LOAD_ATTEMPTS or store.live_snapshot_name(index_dir) == live:
                raise
            logger.info("snapshot %s was replaced while loading; reading the new one", live)
    raise AssertionError("unreachable")


def _load_snapshot(
    index_dir: Path, folder: Path, embedder: Embedder | None, chunk_settings: ChunkSettings | None
) -> Index:
    hint = store.rebuild_hint(index_dir)
    try:
        manifest = store.read_json(folder / "manifest.json")
        if not isinstance(manifest, dict):
            raise ValueError("manifest.json is not an object")
    except (OSError, ValueError) as error:
        raise IndexCorruptError(
            f"index at {index_dir}: unreadable manifest.json ({error}); {hint}"
        ) from error
    _check(manifest, index_dir, embedder, chunk_settings)
    try:
        index = Index(
            index_dir,
            chunk_settings=ChunkSettings(**manifest["chunking"]),
            fusion=FusionSettings(**manifest["fusion"]),
            embedder=embedder,
            approximate_above=int(manifest["dense"]["approximate_above"]),
            sparse=SparseSettings(**manifest.get("sparse", {})),
        )
        articles = [Article.from_dict(row) for row in store.read_jsonl(folder / "articles.jsonl")]
        index._articles = {article.doc_id: article for article in articles}
        index.chunks, index.hashes = read_chunks(folder, index._articles)
        # Memory-mapped: only the rows a search re-scores are read (100k vectors: 150 MB that
        # would otherwise be read whole and held twice, FAISS keeping its own copy).
        index.vectors = np.load(folder / "embeddings.npy", allow_pickle=False, mmap_mode="r")
        index.ids = np.load(folder / "ids.npy", allow_pickle=False)
        index.next_id = int(manifest["next_id"])
        index.sources = list(manifest.get("sources", []))
        size = len(index.chunks)
        if index.vectors.shape != (size, index.dimension) or index.ids.shape != (size,):
            raise ValueError(
                f"embeddings {index.vectors.shape} / ids {index.ids.shape} do not match {size} chunks"
            )
        if len(articles) != manifest["counts"]["articles"] or size != manifest["counts"]["chunks"]:
            raise ValueError(f"file counts differ from the manifest's {manifest['counts']}")
        unknown = {chunk.doc_id for chunk in index.chunks} - set(index._articles)
        if unknown:
            raise ValueError(f"chunks refer to {len(unknown)} articles that are not listed")
        index._row_of_id = {int(chunk_id): row for row, chunk_id in enumerate(index.ids)}
        index._row_of_chunk = {chunk.chunk_id: row for row, chunk in enumerate(index.chunks)}
        index.dense.load(folder, manifest["dense"]["kind"], size)
        index.sparse.load(folder, size)
        _load_sentence_bm25(index, folder)
        index.sentence_vectors = np.load(folder / SENTENCE_VECTORS_FILE, allow_pickle=False, mmap_mode="r")
        sentences = int(index.sentence_offsets[-1])
        if index.sentence_vectors.shape != (sentences, index.dimension):
            raise ValueError(
                f"sentence vectors {index.sentence_vectors.shape} do not match {sentences} sentences"
            )
    except IndexError_:
        raise
    except Exception as error:  # any broken file: report it as corruption, with the fix
        raise IndexCorruptError(
            f"index at {index_dir} is damaged ({type(error).__name__}: {error}); {hint}"
        ) from error
    index.snapshot = folder.name
    return index


@contextmanager
def writing(index: Index) -> Iterator[None]:
    """Hold ``index``'s writer lock for a whole read-modify-write, starting from the live snapshot.

    Another process may have saved since ``index`` was loaded; its changes are read
    in first, so two writers never overwrite each other's articles. When the write fails
    (disk full, interrupted), ``index`` goes back to the snapshot still on disk.
    """
    if index.index_dir is None:
        with index._lock:
            yield
        return
    with index._lock, store.writer_lock(index.index_dir):
        live = store.live_snapshot_name(index.index_dir)
        if live is not None and live != index.snapshot:
            adopt_live_snapshot(index)
        try:
            yield
        except BaseException:
            if live is not None and store.live_snapshot_name(index.index_dir) == live:
                try:
                    adopt_live_snapshot(index)
                except Exception:  # the original error matters more
                    logger.exception("could not reload %s after a failed write", index.index_dir)
            raise


def adopt_live_snapshot(index: Index) -> None:
    """Replace ``index``'s contents with the live snapshot on disk."""
    assert index.index_dir is not None
    fresh = load_index(index.index_dir, embedder=index._embedder, chunk_settings=index.chunk_settings)
    for name, value in vars(fresh).items():
        if name not in ("_lock", "_embedder", "last_embedded", "version"):
            setattr(index, name, value)
    index.version += 1
