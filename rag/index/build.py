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
from rag.index.core import Index
from rag.index.fusion import FusionSettings
from rag.index.store import IndexError_, IndexNotFoundError
from rag.ingest import Source, load_articles

logger = logging.getLogger(__name__)


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
    result = load_articles(sources)
    for warning in result.warnings:
        logger.warning(warning)
    index = Index(index_dir, chunk_settings=chunk_settings, fusion=fusion, embedder=embedder)
    index.build_warnings = list(result.warnings)
    index.extend(result.articles, cache=cache, progress=progress)
    index.record_sources(sources)
    index.save()
    return index


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
    return Index.load(index_dir, embedder=embedder, chunk_settings=chunk_settings)
