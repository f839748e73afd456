"""What an index holds in memory, kept in step: articles, chunks, vectors, FAISS and BM25 tables.

:class:`IndexContents` knows no embedder, lock or folder: it grows from articles and vectors it
is given, shrinks by article, ranks chunks for an embedded question, and converts to and from
the files of a snapshot. :class:`rag.index.Index` adds the embedder, the locks and persistence.

Each distinct sentence is embedded once. A chunk's dense signal is its best sentence's cosine to
the question (max-sim); FAISS holds each chunk's mean vector to draw candidates (``pool``). The
answerer ranks sentences with the same vectors, so answering embeds only the question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.chunk import ChunkSettings, chunk_article
from rag.index.base import Encode
from rag.index.dense import DEFAULT_APPROXIMATE_ABOVE, DenseIndex
from rag.index.filters import Filter, MaskCache
from rag.index.fusion import FusionSettings, Signal, fuse
from rag.index.pool import Allowed, bm25_rows, dense_rows
from rag.index.snapshot import SnapshotFiles
from rag.index.sparse import SENTENCE_FOLDER, SparseIndex, SparseSettings
from rag.index.texts import content_hash, passage_text, sentence_text
from rag.index.vectors import SENTENCE_VECTOR_DTYPE, best_per_chunk, chunk_means, embed_new
from rag.types import Article, Chunk, Hit


class IndexContents:
    """Articles, their chunks and every table searched over them, always consistent."""

    def __init__(
        self,
        dimension: int,
        chunk_settings: ChunkSettings | None = None,
        approximate_above: int = DEFAULT_APPROXIMATE_ABOVE,
        sparse: SparseSettings | None = None,
    ) -> None:
        self.dimension = dimension
        self.chunk_settings = chunk_settings or ChunkSettings()
        self._articles: dict[str, Article] = {}
        self.chunks: list[Chunk] = []
        #: One vector per chunk (the normalized mean of its sentences'), for the FAISS pool.
        self.vectors = np.zeros((0, dimension), dtype=np.float32)
        #: One float16 vector per sentence row (rows as ``sentence_offsets``), unit length.
        self.sentence_vectors = np.zeros((0, dimension), dtype=SENTENCE_VECTOR_DTYPE)
        self.ids = np.zeros(0, dtype=np.int64)
        self.hashes: list[str] = []
        self.next_id = 0
        self.dense = DenseIndex(dimension, approximate_above)
        self.sparse = SparseIndex(sparse)
        # One BM25 row per sentence of each chunk, chunk by chunk: the sentences of chunk
        # ``row`` are rows ``sentence_offsets[row]:sentence_offsets[row + 1]``.
        self.sentence_sparse = SparseIndex(sparse, folder_name=SENTENCE_FOLDER)
        self.sentence_offsets = np.zeros(1, dtype=np.int64)
        self._row_of_id: dict[int, int] = {}
        self._row_of_chunk: dict[str, int] = {}
        self._sentence_digests: list[str] | None = None  # see sentence_hashes
        self._masks = MaskCache()  # see allowed_rows
        #: Bumped whenever the contents change (add, remove, reload): caches of derived data key on it.
        self.version = 0

    def articles(self) -> list[Article]:
        """Indexed articles with their metadata, in the order they were added."""
        return list(self._articles.values())

    def article(self, doc_id: str) -> Article:
        try:
            return self._articles[doc_id]
        except KeyError:
            raise KeyError(f"no article with doc_id {doc_id!r} in the index") from None

    def __len__(self) -> int:
        return len(self.chunks)

    def rank(
        self,
        query: np.ndarray,
        question: str,
        k: int,
        fusion: FusionSettings,
        allowed: Allowed | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``question`` (embedded as ``query``), of the ``allowed`` rows."""
        if not self.chunks or (allowed is not None and not len(allowed.rows)):
            return []
        rows, signals = self._candidates(query, question, fusion, allowed)
        fused = fuse(signals, fusion)
        dense_scores, bm25_scores = signals["dense"], signals["bm25"]
        hits = []
        for position in np.argsort(-fused, kind="stable")[:k]:
            chunk = self.chunks[rows[position]]
            hits.append(
                Hit(
                    doc_id=chunk.doc_id,
                    chunk_id=chunk.chunk_id,
                    title=self._articles[chunk.doc_id].title,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    score=float(fused[position]),
                    dense_score=float(dense_scores[position]),
                    bm25_score=float(bm25_scores[position]),
                )
            )
        return hits

    def _candidates(
        self, query: np.ndarray, question: str, fusion: FusionSettings, allowed: Allowed | None = None
    ) -> tuple[np.ndarray, dict[Signal, np.ndarray]]:
        """The candidate rows (``rag.index.pool``) with every signal the fusion weighs."""
        size, all_bm25 = fusion.candidates, self.sparse.scores(question)
        dense = dense_rows(self.dense, self._row_of_id, self.vectors, query, size, allowed)
        rows = np.unique(np.concatenate([dense, bm25_rows(all_bm25, size, allowed)]))
        signals: dict[Signal, np.ndarray] = {
            "dense": self.best_sentence_cosine(query, rows),
            "bm25": all_bm25[rows],
        }
        if fusion.sentence_bm25_weight > 0:
            signals["sentence_bm25"] = self.best_sentence_bm25(question, rows)
        return rows, signals

    def best_sentence_bm25(self, question: str, rows: np.ndarray) -> np.ndarray:
        """Per chunk row, the highest BM25 of one of its sentences."""
        return best_per_chunk(
            self.sentence_offsets, rows, lambda gathered: self.sentence_sparse.scores(question)[gathered]
        )

    def best_sentence_cosine(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per chunk row, the highest cosine of one of its sentences to ``query`` (max-sim)."""
        return best_per_chunk(
            self.sentence_offsets,
            rows,
            lambda gathered: self.sentence_vectors[gathered].astype(np.float32) @ query,
        )

    def allowed_rows(self, filters: Filter) -> Allowed:
        """The chunk rows whose articles pass ``filters`` (cached until the contents change)."""

        def compute() -> Allowed:  # sources as indexed ("the korea herald"), or ValueError naming one
            spelled = filters.with_sources_of(article.source for article in self._articles.values())
            passing = {doc_id for doc_id, article in self._articles.items() if spelled.allows(article)}
            mask = np.fromiter((c.doc_id in passing for c in self.chunks), dtype=bool, count=len(self.chunks))
            return Allowed.of(mask, self.ids)

        return self._masks.get(self.version, filters, compute)

    def sentence_vectors_of(self, sentences: Sequence[tuple[str, int]]) -> np.ndarray:
        """Float32 unit vectors of ``sentences``, each given as (chunk id, position in the chunk).

        Raises:
            KeyError: no such chunk, or a position past its sentences.
        """
        rows = np.zeros(len(sentences), dtype=np.int64)
        for number, (chunk_id, position) in enumerate(sentences):
            row = self._row_of_chunk[chunk_id]
            first, end = int(self.sentence_offsets[row]), int(self.sentence_offsets[row + 1])
            if not 0 <= position < end - first:
                raise KeyError(f"chunk {chunk_id!r} has {end - first} sentences, asked for number {position}")
            rows[number] = first + position
        return np.asarray(self.sentence_vectors[rows], dtype=np.float32).reshape(
            len(sentences), self.dimension
        )

    def sentence_hashes(self) -> list[str]:
        """Content hash of every sentence row's text (the embedding cache's keys), kept up to date."""
        if self._sentence_digests is None:
            self._sentence_digests = [
                content_hash(self._articles[chunk.doc_id].text[span.start : span.end])
                for chunk in self.chunks
                for span in chunk.sentences
            ]
        return self._sentence_digests

    def known_sentence_vectors(self) -> dict[str, np.ndarray]:
        """Sentence vectors by content hash of the sentence text (to reuse when rebuilding)."""
        vectors = np.asarray(self.sentence_vectors)
        return {digest: vectors[row] for row, digest in enumerate(self.sentence_hashes())}

    # -- changing --------------------------------------------------------------------------

    def append_articles(self, articles: list[Article], cache: dict[str, np.ndarray], encode: Encode) -> int:
        """Chunk ``articles``, embed their sentences (each distinct text once, reusing vectors by
        content hash from ``cache`` and from what is indexed) and index them.

        Returns:
            How many sentences ``encode`` embedded.
        """
        new_chunks: list[Chunk] = []
        chunk_hashes: list[str] = []
        texts: list[str] = []
        for article in articles:
            self._articles[article.doc_id] = article
            for chunk in chunk_article(article, self.chunk_settings):
                if not chunk.sentences:
                    raise ValueError(f"chunk {chunk.chunk_id} lists no sentences")
                new_chunks.append(chunk)
                chunk_hashes.append(content_hash(passage_text(article, chunk)))
                texts.extend(article.text[span.start : span.end] for span in chunk.sentences)
        digests = [content_hash(text) for text in texts]
        indexed_digests = self.sentence_hashes()
        sentence_vectors, embedded = embed_new(
            texts,
            digests,
            encode,
            self.dimension,
            cache,
            {digest: row for row, digest in enumerate(indexed_digests)},
            self.sentence_vectors,
        )
        new_ids = np.arange(self.next_id, self.next_id + len(new_chunks), dtype=np.int64)
        self.next_id += len(new_chunks)
        self.chunks.extend(new_chunks)
        self.hashes.extend(chunk_hashes)
        self.sentence_vectors = np.concatenate([np.asarray(self.sentence_vectors), sentence_vectors])
        self._sentence_digests = indexed_digests + digests
        counts = [len(chunk.sentences) for chunk in new_chunks]
        self.vectors = np.ascontiguousarray(
            np.concatenate([self.vectors, chunk_means(sentence_vectors, counts)])
        )
        self.ids = np.concatenate([self.ids, new_ids])
        self._rebuild_search_structures()
        return embedded

    def drop_articles(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove the articles ``doc_ids`` and their rows; returns those that were indexed."""
        present = [doc_id for doc_id in doc_ids if doc_id in self._articles]
        if not present:
            return []
        gone = set(present)
        keep = [row for row, chunk in enumerate(self.chunks) if chunk.doc_id not in gone]
        for doc_id in present:
            del self._articles[doc_id]
        kept_chunks = np.array([chunk.doc_id not in gone for chunk in self.chunks], dtype=bool)
        kept_sentences = np.repeat(kept_chunks, np.diff(self.sentence_offsets))
        self.sentence_vectors = np.asarray(self.sentence_vectors[kept_sentences], dtype=SENTENCE_VECTOR_DTYPE)
        self._sentence_digests = None
        self.chunks = [self.chunks[row] for row in keep]
        self.vectors = self.vectors[keep]
        self.ids = self.ids[keep]
        self.hashes = [self.hashes[row] for row in keep]
        self._rebuild_search_structures()
        return present

    def _rebuild_search_structures(self) -> None:
        self.version += 1
        self._row_of_id = {int(chunk_id): row for row, chunk_id in enumerate(self.ids)}
        self._row_of_chunk = {chunk.chunk_id: row for row, chunk in enumerate(self.chunks)}
        self.dense.build(self.vectors, self.ids)
        self.sparse.build([passage_text(self._articles[c.doc_id], c) for c in self.chunks])
        self._build_sentence_bm25()

    def _build_sentence_bm25(self) -> None:
        texts = [
            sentence_text(self._articles[chunk.doc_id], sentence)
            for chunk in self.chunks
            for sentence in chunk.sentences
        ]
        counts = [len(chunk.sentences) for chunk in self.chunks]
        if any(count == 0 for count in counts):
            raise ValueError("every chunk must list its sentences")
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
        self.sentence_sparse.build(texts)

    def to_files(self, manifest: dict[str, Any]) -> SnapshotFiles:
        """These contents as the files of one snapshot (arrays shared, not copied)."""
        return SnapshotFiles(
            manifest=manifest,
            articles=self.articles(),
            chunks=self.chunks,
            hashes=self.hashes,
            vectors=self.vectors,
            sentence_vectors=self.sentence_vectors,
            ids=self.ids,
            dense=self.dense,
            sparse=self.sparse,
            sentence_sparse=self.sentence_sparse,
        )

    def restore(self, files: SnapshotFiles) -> None:
        """Take the contents of a snapshot read from disk."""
        self._articles = {article.doc_id: article for article in files.articles}
        self.chunks, self.hashes = files.chunks, files.hashes
        self.vectors, self.sentence_vectors, self.ids = files.vectors, files.sentence_vectors, files.ids
        self.next_id = int(files.manifest["next_id"])
        self.dense, self.sparse = files.dense, files.sparse
        self._row_of_id = {int(chunk_id): row for row, chunk_id in enumerate(self.ids)}
        self._row_of_chunk = {chunk.chunk_id: row for row, chunk in enumerate(self.chunks)}
        self._sentence_digests = None
        if files.sentence_sparse is None:  # written before sentence BM25 existed
            self._build_sentence_bm25()
        else:
            self.sentence_sparse = files.sentence_sparse
            counts = [len(chunk.sentences) for chunk in self.chunks]
            self.sentence_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
