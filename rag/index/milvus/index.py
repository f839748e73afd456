"""The ``milvus`` backend: :class:`MilvusIndex`, the index's rows in Milvus Lite or a Milvus server.

It ranks exactly as the local backend does (``rag.index.contents``): dense candidates by ANN over
chunk mean vectors, BM25 candidates by Milvus's full-text search over our own analysed text, then,
for their union, the best sentence cosine (max-sim), the chunk's BM25 and its best sentence's BM25,
fused on our side (``rag.index.fusion``). Milvus Lite reports BM25 scores negated, so only their
magnitude is used. Filters become Milvus expressions (``Filter.to_expression``).

The index folder holds only ``manifest.json`` (backend, URI, prefix, model, settings, sources);
``rag.load_index(folder)`` reconnects from it. Writes go straight to Milvus (rows are upserted
with content-derived keys, so re-adding is a no-op); an add that fails part-way deletes what it
wrote. Writers on one machine take the folder's lock; a Lite file is opened by one process at a
time (serve it with ``milvus-lite server`` for several).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunk import ChunkSettings, chunk_article
from rag.embed import MODEL_DIMENSION, Embedder
from rag.index import store
from rag.index.base import Encode, SearchIndex
from rag.index.filters import Filter
from rag.index.fusion import FusionSettings
from rag.index.milvus import rows as milvus_rows
from rag.index.milvus.articles import ArticleStore
from rag.index.milvus.schema import (
    MANIFEST,
    MilvusSettings,
    connect,
    ensure_collections,
    read_manifest,
)
from rag.index.milvus.search import MAX_RESULTS, ChunkRanker, packed_vectors
from rag.index.snapshot import check_manifest
from rag.index.sparse import SparseSettings
from rag.index.store import IndexCorruptError
from rag.index.texts import content_hash
from rag.index.vectors import SENTENCE_VECTOR_DTYPE, chunk_means, embed_new
from rag.types import Article, Chunk, Hit

#: Rows per upsert call.
UPSERT_BATCH = 2000


class MilvusIndex(SearchIndex):
    """Hybrid index whose rows live in Milvus (see the module docstring).

    Arguments:
        settings: where the collections are (:class:`MilvusSettings`).
        index_dir: the folder holding ``manifest.json`` (``None``: nothing is recorded locally).
    """

    backend = "milvus"

    def __init__(
        self,
        settings: MilvusSettings,
        index_dir: str | Path | None = None,
        chunk_settings: ChunkSettings | None = None,
        fusion: FusionSettings | None = None,
        embedder: Embedder | None = None,
        sparse: SparseSettings | None = None,
    ) -> None:
        super().__init__(index_dir, fusion, embedder)
        self.settings = settings.resolved()
        self.chunk_settings = chunk_settings or ChunkSettings()
        self.sparse_settings = sparse or SparseSettings()
        self.dimension = embedder.dimension if embedder else MODEL_DIMENSION
        self.client = connect(self.settings)
        ensure_collections(self.client, self.settings, self.dimension, self.sparse_settings)
        self._names = {name: self.settings.collection(name) for name in ("articles", "chunks", "sentences")}
        self._articles = ArticleStore(self.client, self._names["articles"])
        self._ranker = ChunkRanker(self.client, self._names, self.articles_by_id)
        self._cache_version = -1

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        rows = self.client.query(self._names["chunks"], filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def is_empty(self) -> bool:
        return False  # searching empty collections is cheap; counting rows is a round trip

    def articles(self) -> list[Article]:
        return self._articles.all()

    def articles_by_id(self, doc_ids: Iterable[str]) -> dict[str, Article]:
        """The articles of ``doc_ids`` that are there (cached until the contents change)."""
        if self._cache_version != self.version:
            self._articles.clear()
            self._cache_version = self.version
        return self._articles.get_many(doc_ids)

    def article(self, doc_id: str) -> Article:
        found = self.articles_by_id([doc_id])
        if doc_id not in found:
            raise KeyError(f"no article with doc_id {doc_id!r} in the index")
        return found[doc_id]

    def has_article(self, doc_id: str) -> bool:
        return self._articles.has(doc_id)

    def chunk(self, chunk_id: str) -> Chunk:
        rows = self.client.get(
            self._names["chunks"],
            ids=[milvus_rows.chunk_row_id(chunk_id)],
            output_fields=["chunk_id", "doc_id", "start", "end", "sentences"],
        )
        if not rows:
            raise KeyError(f"no chunk {chunk_id!r} in the index")
        return milvus_rows.chunk_from_row(rows[0], self.article(rows[0]["doc_id"]))

    def sentence_vectors_of(self, sentences: Sequence[tuple[str, int]]) -> np.ndarray:
        keys = [milvus_rows.sentence_row_id(chunk_id, position) for chunk_id, position in sentences]
        found = packed_vectors(self.client, self._names["sentences"], keys)
        for number, key in enumerate(keys):
            if key not in found:
                chunk_id, position = sentences[number]
                raise KeyError(f"chunk {chunk_id!r} has no sentence number {position}")
        return milvus_rows.unpack_vectors([found[key] for key in keys], self.dimension)

    def passage_frequency(self, word: str) -> int:
        stems = milvus_rows.analysed(word).split()
        if not stems:
            return 0
        if self.settings.is_lite:  # Lite matches TEXT_MATCH row by row: count the word's BM25 hits
            holding = self._ranker.bm25(stems[0], MAX_RESULTS, "", None)  # every holder scores > 0
            if len(holding) < MAX_RESULTS:
                return len(holding)
        rows = self.client.query(
            self._names["chunks"], filter=f'TEXT_MATCH(analysed, "{stems[0]}")', output_fields=["count(*)"]
        )
        return int(rows[0]["count(*)"]) if rows else 0

    def _rank(
        self, query: np.ndarray, question: str, k: int, fusion: FusionSettings, filters: Filter | None
    ) -> list[Hit]:
        return self._ranker.rank(query, question, k, fusion, filters)

    # -- writing ---------------------------------------------------------------------------

    def append_articles(self, articles: list[Article], cache: dict[str, np.ndarray], encode: Encode) -> int:
        chunked = []
        texts: list[str] = []
        for article in articles:
            chunks = chunk_article(article, self.chunk_settings)
            for chunk in chunks:
                if not chunk.sentences:
                    raise ValueError(f"chunk {chunk.chunk_id} lists no sentences")
                texts.extend(article.text[span.start : span.end] for span in chunk.sentences)
            chunked.append((article, chunks))
        digests = [content_hash(text) for text in texts]
        empty = np.zeros((0, self.dimension), dtype=SENTENCE_VECTOR_DTYPE)
        vectors, embedded = embed_new(texts, digests, encode, self.dimension, cache, {}, empty)
        vectors = vectors.astype(np.float32)  # float16-rounded, as the local backend keeps them
        try:
            self.write_rows(chunked, vectors)
        except BaseException:
            self.delete_rows([article.doc_id for article in articles])
            raise
        self.version += 1
        return embedded

    def write_rows(self, chunked: Sequence[tuple[Article, list[Chunk]]], vectors: np.ndarray) -> None:
        """Upsert the rows of chunked articles (``vectors``: their sentences', in order);
        sentences and chunks first, articles last, so a search never cites a half-written one."""
        sentence_batch: list[dict[str, Any]] = []
        chunk_batch: list[dict[str, Any]] = []
        article_batch: list[dict[str, Any]] = []
        offset = 0
        for article, chunks in chunked:
            counts = [len(chunk.sentences) for chunk in chunks]
            own = vectors[offset : offset + sum(counts)]
            offset += sum(counts)
            sentence_batch += milvus_rows.sentence_rows(article, chunks, own)
            chunk_batch += milvus_rows.chunk_rows(article, chunks, chunk_means(own, counts))
            article_batch += milvus_rows.article_rows(article)
        for name, batch in (
            ("sentences", sentence_batch),
            ("chunks", chunk_batch),
            ("articles", article_batch),
        ):
            for start in range(0, len(batch), UPSERT_BATCH):
                self.client.upsert(self._names[name], batch[start : start + UPSERT_BATCH])

    def delete_rows(self, doc_ids: Sequence[str]) -> None:
        """Delete every row of ``doc_ids`` (the article first, so it is never half there)."""
        if not doc_ids:
            return
        expression = f"doc_id in {milvus_rows.quoted(doc_ids)}"
        for name in ("articles", "chunks", "sentences"):
            self.client.delete(self._names[name], filter=expression)

    def drop_articles(self, doc_ids: Sequence[str]) -> list[str]:
        present = [doc_id for doc_id in dict.fromkeys(doc_ids) if self.has_article(doc_id)]
        if present:
            self.delete_rows(present)
            self.version += 1
        return present

    @contextmanager
    def writing(self) -> Iterator[None]:
        if self.index_dir is None:
            with self._lock:
                yield
            return
        with self._lock, store.writer_lock(self.index_dir):
            yield

    def save(self) -> None:
        """Flush the collections and record the manifest in the index folder."""
        for name in self._names.values():
            self.client.flush(name)
        if self.index_dir is not None:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            store.write_json_atomic(self.index_dir / MANIFEST, self.manifest())

    def manifest(self) -> dict[str, object]:
        return {
            "format_version": store.FORMAT_VERSION,
            "backend": self.backend,
            "milvus": self.settings.to_dict(),
            "model": {"name": self.model_name, "dimension": self.dimension},
            "chunking": self.chunk_settings.to_dict(),
            "fusion": self.fusion.to_dict(),
            "sparse": self.sparse_settings.to_dict(),
            "sources": self.sources,
        }

    @classmethod
    def load(
        cls,
        index_dir: str | Path,
        embedder: Embedder | None = None,
        chunk_settings: ChunkSettings | None = None,
    ) -> MilvusIndex:
        """Reconnect to the index recorded in ``index_dir/manifest.json``.

        Raises:
            IndexNotFoundError: no manifest there.
            IndexCorruptError: the manifest does not read.
            IndexMismatchError: another format, model or chunking than asked for.
        """
        index_dir = Path(index_dir)
        manifest = read_manifest(index_dir)
        check_manifest(manifest, index_dir, embedder, chunk_settings)
        try:
            index = cls(
                MilvusSettings(**manifest["milvus"]),
                index_dir,
                chunk_settings=ChunkSettings(**manifest["chunking"]),
                fusion=FusionSettings(**manifest["fusion"]),
                embedder=embedder,
                sparse=SparseSettings(**manifest.get("sparse", {})),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise IndexCorruptError(f"index manifest {index_dir / MANIFEST} is damaged ({error})") from error
        index.sources = list(manifest.get("sources", []))
        return index

    def reload(self) -> None:
        """Forget cached articles (the rows in Milvus are always live)."""
        with self._lock:
            self.version += 1

    def close(self) -> None:
        """Close the connection (a Lite file can then be opened by another process)."""
        self.client.close()
