"""Embeddings for the fitters, cached on disk, and in-memory indexes of SQuAD paragraphs.

Collecting a fitter's records embeds every train paragraph and question (about 18 minutes on
2 cores); the vectors are kept per embedding backend so a second collection embeds nothing new.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embed import get_embedder
from rag.embed.base import Embedder
from rag.eval.squad import SquadSet
from rag.index import Index
from rag.types import Article

#: Texts per forward pass when embedding what the cache lacks.
EMBED_BATCH = 64


class VectorCache(Embedder):
    """The shared embedder behind a text -> vector table persisted in ``folder``.

    Vectors are read from ``folder/vectors-*.json`` (texts) + ``.npy`` (vectors) pairs; texts
    not in the table are embedded by :func:`rag.embed.get_embedder` and written by :meth:`save`.

    Example:
        >>> cache = VectorCache(folder / get_embedder().backend)  # doctest: +SKIP
        >>> index = in_memory_index(articles, cache); cache.save()  # doctest: +SKIP
    """

    backend = "cached"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.table: dict[str, np.ndarray] = {}
        for texts_file in sorted(folder.glob("*.json")):
            vectors_file = texts_file.with_suffix(".npy")
            if vectors_file.is_file():
                texts = json.loads(texts_file.read_text(encoding="utf-8"))
                self.table.update(zip(texts, np.load(vectors_file), strict=True))
        self.new: dict[str, np.ndarray] = {}

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Vectors of ``texts`` (float32, one row each), embedding only the ones not cached."""
        missing = list(dict.fromkeys(text for text in texts if text not in self.table))
        if missing:
            vectors = get_embedder().encode(missing, batch_size=EMBED_BATCH, progress=progress)
            for text, vector in zip(missing, vectors, strict=True):
                self.table[text] = vector
                self.new[text] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.table[text] for text in texts]).astype(np.float32)

    def save(self) -> None:
        """Write the vectors embedded since the last save as one new ``vectors-<time>`` pair."""
        if not self.new:
            return
        name = f"vectors-{int(time.time())}"
        (self.folder / f"{name}.json").write_text(json.dumps(list(self.new)), encoding="utf-8")
        np.save(self.folder / f"{name}.npy", np.stack(list(self.new.values())))
        self.new = {}


def backend_cache(cache_dir: Path) -> VectorCache:
    """The vector cache of the embedding backend the product uses by default, under ``cache_dir``."""
    return VectorCache(cache_dir / "vectors" / get_embedder().backend)


def in_memory_index(articles: Sequence[Article], embedder: Embedder) -> Index:
    """An unsaved index of ``articles`` (SQuAD paragraphs) embedded with ``embedder``."""
    index = Index(None, embedder=embedder)
    index.add(list(articles))
    return index


def corpus_shards(data: SquadSet, titles_per_shard: int) -> list[SquadSet]:
    """``data`` cut into corpora of ``titles_per_shard`` consecutive SQuAD pages (paragraphs
    grouped by title, file order), each with its own questions; one shard of all when 0.

    A user's pile of articles is tens of pages, not the 442 of SQuAD train: records collected
    against shards of that size see the candidate mix the answerer meets.

    Example:
        >>> [len(s.articles) for s in corpus_shards(train, 40)]  # doctest: +SKIP
        [1932, 1759, ...]
    """
    if titles_per_shard <= 0:
        return [data]
    titles = list(dict.fromkeys(article.title for article in data.articles))
    shards = []
    for first in range(0, len(titles), titles_per_shard):
        chosen = set(titles[first : first + titles_per_shard])
        articles = tuple(article for article in data.articles if article.title in chosen)
        ids = {article.doc_id for article in articles}
        shards.append(SquadSet(articles, tuple(q for q in data.questions if q.doc_id in ids)))
    return shards
