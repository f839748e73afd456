"""Hybrid retrieval index: build, load, add, remove, search."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rag.chunk import ChunkSettings
from rag.embed import Embedder
from rag.index import store
from rag.index.chunkfile import read_chunks
from rag.index.core import SENTENCE_VECTORS_FILE, AddReport, Index
from rag.index.fusion import FusionSettings
from rag.index.sparse import SparseSettings
from rag.index.store import (
    FORMAT_VERSION,
    IndexCorruptError,
    IndexError_,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
)
from rag.ingest import Source, load_articles
from rag.types import Article

logger = logging.getLogger(__name__)

LOAD_ATTEMPTS = 3  # a writer may swap and delete the snapshot while it is being read

__all__ = [
    "AddReport",
    "FusionSettings",
    "Index",
    "IndexCorruptError",
    "IndexError_",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "build_index",
    "load_index",
]


def _check(manifest: dict, index_dir: Path, embedder: Embedder | None, chunk_settings: ChunkSettings | None) -> None:
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
        raise IndexCorruptError(f"index at {index_dir}: unreadable manifest.json ({error}); {hint}") from error
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
            raise ValueError(f"sentence vectors {index.sentence_vectors.shape} do not match {sentences} sentences")
    except IndexError_:
        raise
    except Exception as error:  # any broken file: report it as corruption, with the fix
        raise IndexCorruptError(f"index at {index_dir} is damaged ({type(error).__name__}: {error}); {hint}") from error
    index.snapshot = folder.name
    return index


def build_index(
    sources: Iterable[Source] | Source,
    index_dir: str | Path | None = None,
    chunk_settings: ChunkSettings | None = None,
    fusion: FusionSettings | None = None,
    embedder: Embedder | None = None,
    progress: bool = False,
) -> Index:
    """Build an index holding exactly the articles in ``sources`` and save it to ``index_dir``.

    Vectors of an existing index in ``index_dir`` are reused for unchanged chunks, so
    rebuilding an unchanged corpus embeds nothing (``index.last_embedded == 0``).

    Example:
        >>> index = build_index(["seeds/"], "indexes/default")  # doctest: +SKIP
        >>> index.search("Who did Wang Yi meet?", k=3)  # doctest: +SKIP
    """
    cache: dict[str, np.ndarray] = {}
    if index_dir is not None:
        try:
            old = load_index(index_dir, embedder=embedder)
            old_backend = store.read_json(store.snapshot_path(Path(index_dir)) / "manifest.json")["model"].get("backend")
            if old_backend == old.embedder.backend:
                cache = old.known_sentence_vectors()
            else:
                logger.info("not reusing vectors from %s: embedded with backend %s, now %s",
                            index_dir, old_backend, old.embedder.backend)
        except IndexError_ as error:
            if not isinstance(error, IndexNotFoundError):
                logger.info("not reusing vectors from %s: %s", index_dir, error)
    result = load_articles(sources)
    for warning in result.warnings:
        logger.warning(warning)
    index = Index(index_dir, chunk_settings=chunk_settings, fusion=fusion, embedder=embedder)
    index.build_warnings = result.warnings  # type: ignore[attr-defined]
    index._append(result.articles, cache=cache, progress=progress)
    index._record_sources(sources)
    index.save()
    return index
