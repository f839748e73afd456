"""The hybrid index: articles, chunks, vectors (FAISS) and BM25, kept in step.

Embeddings are per sentence: each distinct sentence is embedded once, on its own. A chunk's
dense signal is its best sentence's cosine to the question (max-sim); FAISS holds one vector per
chunk, the normalized mean of its sentences', to draw the dense candidate pool. The sentence
vectors are also what the answerer ranks sentences with, so answering embeds nothing but the
question. (On SQuAD part A, max-sim fusion gave passage recall@1/@5 .854/.977 against .850/.973
for whole-chunk embeddings, and embedding sentences costs no more than embedding their chunks.)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.chunk import ChunkSettings, chunk_article
from rag.embed import MODEL_DIMENSION, MODEL_NAME, Embedder, get_embedder
from rag.index import store
from rag.index.dense import DEFAULT_APPROXIMATE_ABOVE, DenseIndex
from rag.index.fusion import FusionSettings, Signal, fuse
from rag.index.sparse import SENTENCE_FOLDER, SparseIndex, SparseSettings
from rag.index.texts import content_hash, passage_text, sentence_text
from rag.index.vectors import SENTENCE_VECTOR_DTYPE, best_per_chunk, chunk_means, embed_new
from rag.ingest import Source, load_articles
from rag.ingest.clean import scrub
from rag.types import Article, Chunk, Hit

logger = logging.getLogger(__name__)

DEFAULT_K = 5
MAX_K = 100


@dataclass
class AddReport:
    """What an ``add`` did: new articles, duplicates skipped, warnings, sentences embedded."""

    added: list[Article] = field(default_factory=list)
    duplicates: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    embedded: int = 0


class Index:
    """Hybrid FAISS + BM25 index over article chunks.

    Use :func:`rag.build_index` / :func:`rag.load_index` to get one. When the index has a
    folder, ``add`` and ``remove`` save a new snapshot atomically before returning.
    """

    def __init__(
        self,
        index_dir: str | Path | None = None,
        chunk_settings: ChunkSettings | None = None,
        fusion: FusionSettings | None = None,
        embedder: Embedder | None = None,
        approximate_above: int = DEFAULT_APPROXIMATE_ABOVE,
        sparse: SparseSettings | None = None,
    ) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.chunk_settings = chunk_settings or ChunkSettings()
        self.fusion = fusion or FusionSettings()
        self._embedder = embedder
        self.model_name = embedder.model_name if embedder else MODEL_NAME
        self.dimension = embedder.dimension if embedder else MODEL_DIMENSION
        self._articles: dict[str, Article] = {}
        self.chunks: list[Chunk] = []
        #: One vector per chunk (the normalized mean of its sentences'), for the FAISS pool.
        self.vectors = np.zeros((0, self.dimension), dtype=np.float32)
        #: One float16 vector per sentence row (rows as ``sentence_offsets``), unit length.
        self.sentence_vectors = np.zeros((0, self.dimension), dtype=SENTENCE_VECTOR_DTYPE)
        self.ids = np.zeros(0, dtype=np.int64)
        self.hashes: list[str] = []
        self.next_id = 0
        self.sources: list[str] = []
        self.dense = DenseIndex(self.dimension, approximate_above)
        self.sparse = SparseIndex(sparse)
        # One BM25 row per sentence of each chunk, chunk by chunk: the sentences of chunk
        # ``row`` are rows ``sentence_offsets[row]:sentence_offsets[row + 1]``.
        self.sentence_sparse = SparseIndex(sparse, folder_name=SENTENCE_FOLDER)
        self.sentence_offsets = np.zeros(1, dtype=np.int64)
        self.last_embedded = 0
        self._row_of_id: dict[int, int] = {}
        self._row_of_chunk: dict[str, int] = {}
        self._sentence_digests: list[str] | None = None  # see sentence_hashes
        self._lock = threading.RLock()
        self.snapshot: str | None = None  # the snapshot folder this object reflects
        #: Bumped whenever the contents change (add, remove, reload): caches of derived data key on it.
        self.version = 0

    # -- reading ---------------------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    def articles(self) -> list[Article]:
        """Indexed articles with their metadata, in the order they were added."""
        with self._lock:
            return list(self._articles.values())

    def article(self, doc_id: str) -> Article:
        try:
            return self._articles[doc_id]
        except KeyError:
            raise KeyError(f"no article with doc_id {doc_id!r} in the index") from None

    def __len__(self) -> int:
        return len(self.chunks)

    def search(self, question: str, k: int = DEFAULT_K, fusion: FusionSettings | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``question``, best first, one hit per chunk.

        Raises:
            ValueError: ``question`` is not a non-empty string or ``k`` is out of range.
        """
        if not isinstance(question, str):
            raise TypeError(f"question must be a str, got {type(question).__name__}")
        if not question.strip():
            raise ValueError("question is empty")
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        question = scrub(question)  # lone surrogates (JSON escapes, undecodable argv) break the tokenizer
        fusion = fusion or self.fusion
        with self._lock:
            if not self.chunks:
                return []
            rows, signals = self._candidates(question, fusion)
            fused = fuse(signals, fusion)
            dense_scores, bm25_scores = signals["dense"], signals["bm25"]
            order = np.argsort(-fused, kind="stable")[:k]
            hits = []
            for position in order:
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
        self, question: str, fusion: FusionSettings
    ) -> tuple[np.ndarray, dict[Signal, np.ndarray]]:
        """Rows in the union of the top ``fusion.candidates`` of the dense and BM25 sides,
        with every signal the fusion weighs (dense and BM25 always, for the hits)."""
        query = self.embedder.encode_query(question)
        _, dense_ids = self.dense.search(query, fusion.candidates)
        dense_rows = [self._row_of_id[int(i)] for i in dense_ids if int(i) in self._row_of_id]
        all_bm25 = self.sparse.scores(question)
        pool = min(fusion.candidates, len(all_bm25))
        bm25_rows = np.argpartition(-all_bm25, pool - 1)[:pool] if pool else np.zeros(0, dtype=np.int64)
        rows = np.unique(np.concatenate([np.asarray(dense_rows, dtype=np.int64), bm25_rows.astype(np.int64)]))
        signals: dict[Signal, np.ndarray] = {
            "dense": self._best_sentence_cosine(query, rows),
            "bm25": all_bm25[rows],
        }
        if fusion.sentence_bm25_weight > 0:
            signals["sentence_bm25"] = self._best_sentence_bm25(question, rows)
        return rows, signals

    def _best_sentence_bm25(self, question: str, rows: np.ndarray) -> np.ndarray:
        """Per chunk row, the highest BM25 of one of its sentences."""
        return best_per_chunk(
            self.sentence_offsets, rows, lambda gathered: self.sentence_sparse.scores(question)[gathered]
        )

    def _best_sentence_cosine(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per chunk row, the highest cosine of one of its sentences to ``query`` (max-sim)."""
        return best_per_chunk(
            self.sentence_offsets,
            rows,
            lambda gathered: self.sentence_vectors[gathered].astype(np.float32) @ query,
        )

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

    # -- writing ---------------------------------------------------------------------------

    def add(self, sources: Iterable[Source] | Source, progress: bool = False) -> AddReport:
        """Ingest and index new articles; ones already indexed are skipped (no-op)."""
        result = load_articles(sources)
        report = AddReport(warnings=list(result.warnings))
        with self._writing():
            new = []
            for article in result.articles:
                if article.doc_id in self._articles:
                    report.duplicates.append(article)
                else:
                    new.append(article)
            if not new:
                self.last_embedded = 0
                return report
            self._append(new, cache={}, progress=progress)
            report.added = new
            report.embedded = self.last_embedded
            self._record_sources(sources)
            self.save()
        return report

    def remove(self, doc_ids: Sequence[str] | str) -> list[str]:
        """Remove articles by id from both sides; returns the ids that were indexed."""
        if isinstance(doc_ids, str):
            doc_ids = [doc_ids]
        with self._writing():
            present = [doc_id for doc_id in doc_ids if doc_id in self._articles]
            if not present:
                return []
            gone = set(present)
            keep = [row for row, chunk in enumerate(self.chunks) if chunk.doc_id not in gone]
            for doc_id in present:
                del self._articles[doc_id]
            kept_chunks = np.array([chunk.doc_id not in gone for chunk in self.chunks], dtype=bool)
            kept_sentences = np.repeat(kept_chunks, np.diff(self.sentence_offsets))
            self.sentence_vectors = np.asarray(
                self.sentence_vectors[kept_sentences], dtype=SENTENCE_VECTOR_DTYPE
            )
            self._sentence_digests = None
            self.chunks = [self.chunks[row] for row in keep]
            self.vectors = self.vectors[keep]
            self.ids = self.ids[keep]
            self.hashes = [self.hashes[row] for row in keep]
            self._rebuild_search_structures()
            self.save()
            return present

    def _writing(self) -> AbstractContextManager[None]:
        """The writer lock for a whole read-modify-write (see ``rag.index.snapshot.writing``)."""
        from rag.index.snapshot import writing

        return writing(self)

    def _record_sources(self, sources: Iterable[Source] | Source) -> None:
        if isinstance(sources, (str, Path, Article)):
            sources = [sources]
        for source in sources:
            if isinstance(source, (str, Path)):
                resolved = str(Path(source).resolve())
                if resolved not in self.sources:
                    self.sources.append(resolved)

    def sentence_hashes(self) -> list[str]:
        """Content hash of every sentence row's text (the embedding cache's keys), computed once
        and kept up to date by ``add`` (an add no longer re-hashes what is indexed)."""
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

    def _append(self, articles: list[Article], cache: dict[str, np.ndarray], progress: bool) -> None:
        """Chunk, embed (each distinct sentence once, reusing vectors by content hash) and index ``articles``.

        ``cache`` maps sentence-text hashes to vectors known from elsewhere (a previous build).
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
        sentence_vectors, self.last_embedded = embed_new(
            texts,
            digests,
            lambda missing: self.embedder.encode(missing, progress=progress),
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
        self.vectors = np.ascontiguousarray(
            np.concatenate(
                [self.vectors, chunk_means(sentence_vectors, [len(c.sentences) for c in new_chunks])]
            )
        )
        self.ids = np.concatenate([self.ids, new_ids])
        self._rebuild_search_structures()

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

    # -- persistence -----------------------------------------------------------------------

    def manifest(self) -> dict[str, object]:
        """What this index's ``manifest.json`` records (see ``rag.index.snapshot.manifest``)."""
        from rag.index.snapshot import manifest

        return manifest(self)

    def save(self) -> None:
        """Write a new snapshot (no-op for an in-memory index)."""
        if self.index_dir is None:
            return
        from rag.index.snapshot import write_files

        with self._lock, store.writer_lock(self.index_dir):
            self.snapshot = store.write_snapshot(
                self.index_dir, lambda folder: write_files(self, folder)
            ).name
