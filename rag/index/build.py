"""The two ways to get an index: ``build_index`` (exactly the given articles, reusing vectors
already embedded) and ``load_index`` (a saved one)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rag.chunk import ChunkSettings
from rag.embed import Embedder
from rag.index import store
from rag.index.base import SearchIndex
from rag.index.core import Index
from rag.index.fusion import FusionSettings
from rag.index.milvus import MilvusIndex, MilvusSettings, is_milvus_index
from rag.index.milvus.schema import read_manifest
from rag.index.store import IndexError_, IndexNotFoundError
from rag.ingest import IngestError, IngestResult, Source, load_articles

logger = logging.getLogger(__name__)


def build_index(
    sources: Iterable[Source] | Source,
    index_dir: str | Path | None = None,
    chunk_settings: ChunkSettings | None = None,
    fusion: FusionSettings | None = None,
    embedder: Embedder | None = None,
    progress: bool = False,
    milvus: MilvusSettings | str | None = None,
) -> SearchIndex:
    """Build an index holding exactly the articles in ``sources`` and save it to ``index_dir``.

    Vectors of an existing index in ``index_dir`` are reused for unchanged chunks, so
    rebuilding an unchanged corpus embeds nothing (``index.last_embedded == 0``).

    ``milvus`` (settings or a URI: ``./news.db`` for Milvus Lite, ``http://host:19530`` for a
    server) stores the index in Milvus instead of local files (the ``milvus`` backend); an
    ``index_dir`` that already records one keeps using it.

    Example:
        >>> index = build_index(["seeds/"], "indexes/default")  # doctest: +SKIP
        >>> index.search("Who did Wang Yi meet?", k=3)  # doctest: +SKIP
    """
    if milvus is None and index_dir is not None and is_milvus_index(index_dir):
        milvus = MilvusSettings(**read_manifest(Path(index_dir))["milvus"])
    if milvus is not None:
        settings = MilvusSettings(milvus) if isinstance(milvus, str) else milvus
        return _build_milvus(sources, settings, index_dir, chunk_settings, fusion, embedder, progress)
    cache: dict[str, np.ndarray] = {}
    if index_dir is not None:
        try:
            old = Index.load(index_dir, embedder=embedder)
            old_backend = store.read_json(store.snapshot_path(Path(index_dir)) / "manifest.json")[
                "model"
            ].get("backend")
            if old_backend == old.embedder.backend:
                cache = old.known_sentence_vectors()
            else:
                logger.info(
                    "not reusing vectors from %s: embedded with backend %s, now %s",
                    index_dir,
                    old_backend,
                    old.embedder.backend,
                )
        except IndexError_ as error:
            if not isinstance(error, IndexNotFoundError):
                logger.info("not reusing vectors from %s: %s", index_dir, error)
    result = _loaded(sources)
    index = Index(index_dir, chunk_settings=chunk_settings, fusion=fusion, embedder=embedder)
    index.build_warnings = list(result.warnings)
    index.extend(result.articles, cache=cache, progress=progress)
    index.record_sources(sources)
    index.save()
    return index


def _build_milvus(
    sources: Iterable[Source] | Source,
    settings: MilvusSettings,
    index_dir: str | Path | None,
    chunk_settings: ChunkSettings | None,
    fusion: FusionSettings | None,
    embedder: Embedder | None,
    progress: bool,
) -> MilvusIndex:
    """Make the milvus collections hold exactly the articles of ``sources``: articles no longer
    given are removed, unchanged ones kept as they are (nothing re-embedded), new ones added."""
    result = _loaded(sources)
    index = MilvusIndex(settings, index_dir, chunk_settings=chunk_settings, fusion=fusion, embedder=embedder)
    index.build_warnings = list(result.warnings)
    wanted = {article.doc_id: article for article in result.articles}
    with index.writing():
        gone = [article.doc_id for article in index.articles() if article.doc_id not in wanted]
        index.drop_articles(gone)
        new = [article for doc_id, article in wanted.items() if not index.has_article(doc_id)]
        index.extend(new, cache={}, progress=progress)
        index.record_sources(sources)
        index.save()
    return index


def _loaded(sources: Iterable[Source] | Source) -> IngestResult:
    """The articles of ``sources`` (``load_articles`` has logged each warning once).

    Raises:
        IngestError: sources were given but every one was skipped (a mistyped path, unreadable
            files): building would replace the index with an empty one, so nothing is written.
    """
    result = load_articles(sources)
    if not result.articles and result.warnings:
        raise IngestError("nothing to index, the index is unchanged: " + "; ".join(result.warnings))
    return result


def load_index(
    index_dir: str | Path,
    embedder: Embedder | None = None,
    chunk_settings: ChunkSettings | None = None,
) -> SearchIndex:
    """Load a persisted index (either backend: the folder says which).

    Raises:
        IndexNotFoundError: nothing at ``index_dir``.
        IndexCorruptError: a file is missing, truncated or unreadable.
        IndexMismatchError: another format version, model or chunking than asked for.
    """
    if is_milvus_index(index_dir):
        return MilvusIndex.load(index_dir, embedder=embedder, chunk_settings=chunk_settings)
    return Index.load(index_dir, embedder=embedder, chunk_settings=chunk_settings)
