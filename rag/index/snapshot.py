"""The files of one index snapshot: writing them, and reading (and checking) them back.

Plain file I/O on :class:`SnapshotFiles`; it knows nothing of :class:`rag.index.Index`.
``store`` makes a written snapshot live atomically. Reading reports any broken file as
:class:`IndexCorruptError` and any other format, model or chunking than asked for as
:class:`IndexMismatchError`, each with the command that rebuilds the index.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunk import ChunkSettings
from rag.embed import Embedder
from rag.index import store
from rag.index.chunkfile import read_chunks, write_chunks
from rag.index.dense import DenseIndex
from rag.index.sparse import SENTENCE_FOLDER, SparseIndex, SparseSettings
from rag.index.store import FORMAT_VERSION, IndexCorruptError, IndexError_, IndexMismatchError
from rag.types import Article, Chunk

logger = logging.getLogger(__name__)

SENTENCE_VECTORS_FILE = "sentence_embeddings.npy"


@dataclass
class SnapshotFiles:
    """Everything one snapshot holds, as written to or read from its folder.

    ``sentence_sparse`` is ``None`` for snapshots written before the sentence-level BM25
    existed (the index then builds it in memory).
    """

    manifest: dict[str, Any]
    articles: list[Article]
    chunks: list[Chunk]
    hashes: list[str]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    ids: np.ndarray
    dense: DenseIndex
    sparse: SparseIndex
    sentence_sparse: SparseIndex | None


def write_files(folder: Path, files: SnapshotFiles) -> None:
    """Every file of one snapshot into ``folder`` (``store.write_snapshot`` makes it live)."""
    store.write_jsonl(folder / "articles.jsonl", (article.to_dict() for article in files.articles))
    write_chunks(folder, files.chunks, files.hashes)
    np.save(folder / "embeddings.npy", files.vectors, allow_pickle=False)
    np.save(folder / SENTENCE_VECTORS_FILE, files.sentence_vectors, allow_pickle=False)
    np.save(folder / "ids.npy", files.ids, allow_pickle=False)
    files.dense.save(folder)
    files.sparse.save(folder)
    if files.sentence_sparse is not None:
        files.sentence_sparse.save(folder)
    store.write_json(folder / "manifest.json", files.manifest)


def check_manifest(
    manifest: dict, index_dir: Path, embedder: Embedder | None, chunk_settings: ChunkSettings | None
) -> None:
    """Raise IndexMismatchError unless ``manifest`` has this format, the embedder's model and,
    when given, ``chunk_settings`` (any backend)."""
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


def read_files(
    index_dir: Path, folder: Path, embedder: Embedder | None, chunk_settings: ChunkSettings | None
) -> SnapshotFiles:
    """Read and check the snapshot in ``folder`` of the index at ``index_dir``.

    Raises:
        IndexCorruptError: a file is missing, truncated, unreadable or disagrees with another.
        IndexMismatchError: another format version, model or chunking than asked for.
    """
    hint = store.rebuild_hint(index_dir)
    try:
        manifest = store.read_json(folder / "manifest.json")
        if not isinstance(manifest, dict):
            raise ValueError("manifest.json is not an object")
    except (OSError, ValueError) as error:
        raise IndexCorruptError(
            f"index at {index_dir}: unreadable manifest.json ({error}); {hint}"
        ) from error
    check_manifest(manifest, index_dir, embedder, chunk_settings)
    try:
        return _read_checked(folder, manifest)
    except IndexError_:
        raise
    except Exception as error:  # any broken file: report it as corruption, with the fix
        raise IndexCorruptError(
            f"index at {index_dir} is damaged ({type(error).__name__}: {error}); {hint}"
        ) from error


def _read_checked(folder: Path, manifest: dict[str, Any]) -> SnapshotFiles:
    dimension = int(manifest["model"]["dimension"])
    articles = [Article.from_dict(row) for row in store.read_jsonl(folder / "articles.jsonl")]
    by_id = {article.doc_id: article for article in articles}
    chunks, hashes = read_chunks(folder, by_id)
    # Memory-mapped: only the rows a search re-scores are read (100k vectors: 150 MB that
    # would otherwise be read whole and held twice, FAISS keeping its own copy).
    vectors = np.load(folder / "embeddings.npy", allow_pickle=False, mmap_mode="r")
    ids = np.load(folder / "ids.npy", allow_pickle=False)
    size = len(chunks)
    if vectors.shape != (size, dimension) or ids.shape != (size,):
        raise ValueError(f"embeddings {vectors.shape} / ids {ids.shape} do not match {size} chunks")
    if len(articles) != manifest["counts"]["articles"] or size != manifest["counts"]["chunks"]:
        raise ValueError(f"file counts differ from the manifest's {manifest['counts']}")
    unknown = {chunk.doc_id for chunk in chunks} - set(by_id)
    if unknown:
        raise ValueError(f"chunks refer to {len(unknown)} articles that are not listed")
    settings = SparseSettings(**manifest.get("sparse", {}))
    dense = DenseIndex(dimension, int(manifest["dense"]["approximate_above"]))
    dense.load(folder, manifest["dense"]["kind"], size)
    sparse = SparseIndex(settings)
    sparse.load(folder, size)
    sentences = sum(len(chunk.sentences) for chunk in chunks)
    sentence_sparse = SparseIndex(settings, folder_name=SENTENCE_FOLDER)
    has_sentence_bm25 = sentence_sparse.exists(folder) or not chunks
    if has_sentence_bm25:
        sentence_sparse.load(folder, sentences)
    else:
        logger.info("%s has no sentence BM25; it is built in memory", folder)
    sentence_vectors = np.load(folder / SENTENCE_VECTORS_FILE, allow_pickle=False, mmap_mode="r")
    if sentence_vectors.shape != (sentences, dimension):
        raise ValueError(f"sentence vectors {sentence_vectors.shape} do not match {sentences} sentences")
    return SnapshotFiles(
        manifest=manifest,
        articles=articles,
        chunks=chunks,
        hashes=hashes,
        vectors=vectors,
        sentence_vectors=sentence_vectors,
        ids=ids,
        dense=dense,
        sparse=sparse,
        sentence_sparse=sentence_sparse if has_sentence_bm25 else None,
    )
