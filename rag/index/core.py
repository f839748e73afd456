"""The hybrid index: articles, chunks, vectors (FAISS) and BM25, kept in step.

Embeddings are per sentence: each distinct sentence is embedded once, on its own. A chunk's
dense signal is its best sentence's cosine to the question (max-sim); FAISS holds one vector per
chunk, the normalized mean of its sentences', to draw the dense candidate pool. The sentence
vectors are also what the answerer ranks sentences with, so answering embeds nothing but the
question. (On SQuAD part A, max-sim fusion gave passage recall@1/@5 .854/.977 against .850/.973
for whole-chunk embeddings, and embedding sentences costs no more than embedding their chunks.)
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.chunk import ChunkSettings, chunk_article
from rag.embed import MODEL_DIMENSION, MODEL_NAME, Embedder, get_embedder
from rag.index import store
from rag.index.chunkfile import write_chunks
from rag.index.dense import DEFAULT_APPROXIMATE_ABOVE, DenseIndex
from rag.index.fusion import FusionSettings, Signal, fuse
from rag.index.sparse import SENTENCE_FOLDER, SparseIndex, SparseSettings
from rag.ingest import Source, load_articles
from rag.ingest.clean import scrub
from rag.types import Article, Chunk, Hit, Span

logger = logging.getLogger(__name__)

DEFAULT_K = 5
MAX_K = 100
#: Sentence vectors are stored in half precision (cosines change by about 1e-3; 100k chunks'
#: half a million sentences take 370 MB on disk, memory-mapped, instead of 740 MB).
SENTENCE_VECTOR_DTYPE = np.float16
SENTENCE_VECTORS_FILE = "sentence_embeddings.npy"


def passage_text(article: Article, chunk: Chunk) -> str:
    """What gets BM25-indexed (and hashed): the headline gives every chunk its topic."""
    return f"{article.title}\n{chunk.text}" if article.title else chunk.text


def sentence_text(article: Article, sentence: Span) -> str:
    """What the sentence-level BM25 indexes: the headline and one sentence."""
    text = article.text[sentence.start : sentence.end]
    return f"{article.title}\n{text}" if article.title else text


def unit_vectors(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def chunk_means(sentence_vectors: np.ndarray, counts: Sequence[int]) -> np.ndarray:
    """Per chunk, the unit-length mean of its ``counts[i]`` consecutive sentence vectors."""
    if not len(counts):
        return np.zeros((0, sentence_vectors.shape[1]), dtype=np.float32)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    return unit_vectors(np.add.reduceat(np.asarray(sentence_vectors, dtype=np.float32), starts, axis=0))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


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

    def _candidates(self, question: str, fusion: FusionSettings) -> tuple[np.ndarray, dict[Signal, np.ndarray]]:
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

    def _sentence_rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sentence rows of chunk ``rows``, concatenated, and where each chunk's group starts."""
        starts, ends = self.sentence_offsets[rows], self.sentence_offsets[rows + 1]
        lengths = ends - starts  # every chunk holds at least one sentence
        group_starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        gathered = np.repeat(starts - group_starts, lengths) + np.arange(int(lengths.sum()))
        return gathered, group_starts

    def _best_sentence_bm25(self, question: str, rows: np.ndarray) -> np.ndarray:
        """Per chunk row, the highest BM25 of one of its sentences."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        gathered, group_starts = self._sentence_rows(rows)
        return np.maximum.reduceat(self.sentence_sparse.scores(question)[gathered], group_starts).astype(np.float32)

    def _best_sentence_cosine(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per chunk row, the highest cosine of one of its sentences to ``query`` (max-sim)."""
        if not len(rows):
            return np.zeros(0, dtype=np.float32)
        gathered, group_starts = self._sentence_rows(rows)
        cosines = self.sentence_vectors[gathered].astype(np.float32) @ query
        return np.maximum.reduceat(cosines, group_starts).astype(np.float32)

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
        return np.asarray(self.sentence_vectors[rows], dtype=np.float32).reshape(len(sentences), self.dimension)

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
            self.sentence_vectors = np.asarray(self.sentence_vectors[kept_sentences], dtype=SENTENCE_VECTOR_DTYPE)
            self.chunks = [self.chunks[row] for row in keep]
            self.vectors = self.vectors[keep]
            self.ids = self.ids[keep]
            self.hashes = [self.hashes[row] for row in keep]
            self._rebuild_search_structures()
            self.save()
            return present

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the writer lock for a whole read-modify-write, starting from the live snapshot.

        Another process may have saved since this object was loaded; its changes are read
        in first, so two writers never overwrite each other's articles. When the write fails
        (disk full, interrupted), this object goes back to the snapshot still on disk.
        """
        if self.index_dir is None:
            with self._lock:
                yield
            return
        with self._lock, store.writer_lock(self.index_dir):
            live = store.live_snapshot_name(self.index_dir)
            if live is not None and live != self.snapshot:
                self._adopt_live_snapshot()
            try:
                yield
            except BaseException:
                if live is not None and store.live_snapshot_name(self.index_dir) == live:
                    try:
                        self._adopt_live_snapshot()
                    except Exception:  # the original error matters more
                        logger.exception("could not reload %s after a failed write", self.index_dir)
                raise

    def _adopt_live_snapshot(self) -> None:
        """Replace this object's contents with the live snapshot on disk."""
        from rag.index import load_index  # the loader lives above this module

        assert self.index_dir is not None
        fresh = load_index(self.index_dir, embedder=self._embedder, chunk_settings=self.chunk_settings)
        for name, value in vars(fresh).items():
            if name not in ("_lock", "_embedder", "last_embedded", "version"):
                setattr(self, name, value)
        self.version += 1

    def _record_sources(self, sources: Iterable[Source] | Source) -> None:
        if isinstance(sources, (str, Path, Article)):
            sources = [sources]
        for source in sources:
            if isinstance(source, (str, Path)):
                resolved = str(Path(source).resolve())
                if resolved not in self.sources:
                    self.sources.append(resolved)

    def sentence_hashes(self) -> list[str]:
        """Content hash of every sentence row's text (the embedding cache's keys)."""
        return [
            content_hash(self._articles[chunk.doc_id].text[span.start : span.end])
            for chunk in self.chunks
            for span in chunk.sentences
        ]

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
        indexed = {digest: row for row, digest in enumerate(self.sentence_hashes())}
        missing = sorted(
            {d: t for d, t in zip(digests, texts, strict=True) if d not in cache and d not in indexed}.items()
        )
        known = dict(cache)
        if missing:
            vectors = self.embedder.encode([text for _, text in missing], progress=progress)
            known.update((digest, vector) for (digest, _), vector in zip(missing, vectors, strict=True))
        self.last_embedded = len(missing)
        sentence_vectors = np.zeros((len(digests), self.dimension), dtype=SENTENCE_VECTOR_DTYPE)
        for row, digest in enumerate(digests):
            if digest in known:
                sentence_vectors[row] = known[digest]
        reused = [(row, indexed[digest]) for row, digest in enumerate(digests) if digest not in known]
        if reused:  # already in this index: one gather from the (memory-mapped) vectors
            into, source = np.array(reused, dtype=np.int64).T
            sentence_vectors[into] = self.sentence_vectors[source]
        new_ids = np.arange(self.next_id, self.next_id + len(new_chunks), dtype=np.int64)
        self.next_id += len(new_chunks)
        self.chunks.extend(new_chunks)
        self.hashes.extend(chunk_hashes)
        self.sentence_vectors = np.concatenate([np.asarray(self.sentence_vectors), sentence_vectors])
        self.vectors = np.ascontiguousarray(
            np.concatenate([self.vectors, chunk_means(sentence_vectors, [len(c.sentences) for c in new_chunks])])
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
            sentence_text(self._articles[chunk.doc_id], sentence) for chunk in self.chunks for sentence in chunk.sentences
        ]
        counts = [len(chunk.sentences) for chunk in self.chunks]
        if any(count == 0 for count in counts):
            raise ValueError("every chunk must list its sentences")
        self.sentence_offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
        self.sentence_sparse.build(texts)

    # -- persistence -----------------------------------------------------------------------

    def manifest(self) -> dict[str, object]:
        return {
            "format_version": store.FORMAT_VERSION,
            # The backend is recorded so vectors of another backend are never reused as a cache.
            "model": {"name": self.model_name, "dimension": self.dimension, "backend": self.embedder.backend},
            "chunking": self.chunk_settings.to_dict(),
            "fusion": self.fusion.to_dict(),
            "sparse": self.sparse.settings.to_dict(),
            "dense": {
                "kind": self.dense.kind,
                "approximate_above": self.dense.approximate_above,
                "embedded": "sentences (float16); chunk signal = best sentence cosine, FAISS = chunk mean",
            },
            "counts": {"articles": len(self._articles), "chunks": len(self.chunks)},
            "next_id": self.next_id,
            "sources": self.sources,
            "articles": {doc_id: content_hash(a.text) for doc_id, a in self._articles.items()},
        }

    def save(self) -> None:
        """Write a new snapshot (no-op for an in-memory index)."""
        if self.index_dir is None:
            return

        def write(folder: Path) -> None:
            store.write_jsonl(folder / "articles.jsonl", (a.to_dict() for a in self._articles.values()))
            write_chunks(folder, self.chunks, self.hashes)
            np.save(folder / "embeddings.npy", self.vectors, allow_pickle=False)
            np.save(folder / SENTENCE_VECTORS_FILE, self.sentence_vectors, allow_pickle=False)
            np.save(folder / "ids.npy", self.ids, allow_pickle=False)
            self.dense.save(folder)
            self.sparse.save(folder)
            self.sentence_sparse.save(folder)
            store.write_json(folder / "manifest.json", self.manifest())

        with self._lock, store.writer_lock(self.index_dir):
            self.snapshot = store.write_snapshot(self.index_dir, write).name
