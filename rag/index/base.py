"""The one index interface, whatever stores it: :class:`SearchIndex`.

Two storage backends implement it: ``local`` (:class:`rag.index.Index`: files in the index
folder, FAISS + bm25s in memory; the default) and ``milvus`` (:class:`rag.index.milvus.MilvusIndex`:
collections in Milvus Lite or a Milvus server). Everything above the index (the answerer, the UI,
the CLI, the evaluations) uses only what is declared here, so it works the same on both.

Shared here: checking a question before a search, adding articles (ingest, skip duplicates,
embed, save), removing them, the embedder and the read lock. Each backend supplies storage:
``_rank``, ``has_article``, ``append_articles``, ``drop_articles``, ``writing``, ``save`` and
the lookups.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.embed import MODEL_NAME, Embedder, get_embedder
from rag.index.filters import Filter
from rag.index.fusion import FusionSettings
from rag.ingest import Source, load_articles
from rag.ingest.clean import scrub
from rag.types import Article, Chunk, Hit

DEFAULT_K = 5
MAX_K = 100

#: Embeds the sentence texts it is given, in order (the index's embedder, with a progress bar).
Encode = Callable[[list[str]], np.ndarray]


@dataclass
class AddReport:
    """What an ``add`` did: new articles, duplicates skipped, warnings, sentences embedded."""

    added: list[Article] = field(default_factory=list)
    duplicates: list[Article] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    embedded: int = 0


class SearchIndex(ABC):
    """Hybrid (dense + BM25) index over article chunks, on some storage backend.

    Use :func:`rag.build_index` / :func:`rag.load_index` to get one.
    """

    #: ``"local"`` or ``"milvus"``; recorded in the index folder's manifest.
    backend: str = "local"

    def __init__(
        self, index_dir: str | Path | None, fusion: FusionSettings | None, embedder: Embedder | None
    ) -> None:
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.fusion = fusion or FusionSettings()
        self._embedder = embedder
        self.model_name = embedder.model_name if embedder else MODEL_NAME
        self.sources: list[str] = []
        #: Sentences embedded by the last ``add`` or build (0: every vector was reused).
        self.last_embedded = 0
        #: Warnings of the ingest that built this index (``build_index``), for the CLI to show.
        self.build_warnings: list[str] = []
        self._lock = threading.RLock()
        #: Bumped whenever the contents change: caches of derived data key on it.
        self.version = 0

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder()
        return self._embedder

    # -- reading ---------------------------------------------------------------------------

    @abstractmethod
    def articles(self) -> list[Article]:
        """Indexed articles with their metadata, in the order they were added."""

    @abstractmethod
    def article(self, doc_id: str) -> Article:
        """The article ``doc_id``; raises KeyError naming it when absent."""

    @abstractmethod
    def has_article(self, doc_id: str) -> bool:
        """Whether ``doc_id`` is indexed."""

    @abstractmethod
    def chunk(self, chunk_id: str) -> Chunk:
        """The chunk ``chunk_id`` (with its sentence offsets); raises KeyError naming it when absent."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of indexed chunks."""

    @abstractmethod
    def sentence_vectors_of(self, sentences: Sequence[tuple[str, int]]) -> np.ndarray:
        """Float32 unit vectors of ``sentences``, each given as (chunk id, position in the chunk)."""

    @abstractmethod
    def passage_frequency(self, word: str) -> int:
        """Number of indexed chunks holding ``word`` (after BM25's stemming): its document frequency."""

    def articles_holding(self, question: str) -> int | None:
        """How many indexed articles hold every content word of ``question`` (BM25 stems, headline
        included) somewhere in their passages; None when the backend does not count it (Milvus)."""
        return None

    @abstractmethod
    def _rank(
        self, query: np.ndarray, question: str, k: int, fusion: FusionSettings, filters: Filter | None
    ) -> list[Hit]:
        """The ``k`` best chunks for ``question`` (embedded as ``query``) passing ``filters``."""

    def is_empty(self) -> bool:
        """Whether the index holds no chunk (a search then returns nothing without embedding)."""
        return not len(self)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold off writers in other threads across several reads (a search, then its lookups)."""
        with self._lock:
            yield

    def search(
        self,
        question: str,
        k: int = DEFAULT_K,
        fusion: FusionSettings | None = None,
        filters: Filter | None = None,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``question``, best first, one hit per chunk; with ``filters``,
        the ``k`` best of the chunks whose articles pass them.

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
        with self._lock:
            if self.is_empty():
                return []
            active = None if filters is None or filters.is_empty else filters
            return self._rank(
                self.embedder.encode_query(question), question, k, fusion or self.fusion, active
            )

    # -- writing ---------------------------------------------------------------------------

    @abstractmethod
    def append_articles(self, articles: list[Article], cache: dict[str, np.ndarray], encode: Encode) -> int:
        """Chunk, embed (reusing vectors by sentence-text hash from ``cache``) and index
        ``articles``; returns how many sentences ``encode`` embedded."""

    @abstractmethod
    def drop_articles(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove the articles ``doc_ids``; returns those that were indexed."""

    @abstractmethod
    def writing(self) -> AbstractContextManager[None]:
        """Hold the writer lock for a whole read-modify-write (see each backend)."""

    @abstractmethod
    def save(self) -> None:
        """Make the changes durable (a new snapshot, a flush)."""

    @abstractmethod
    def manifest(self) -> dict[str, object]:
        """What the index folder's ``manifest.json`` records."""

    def add(self, sources: Iterable[Source] | Source, progress: bool = False) -> AddReport:
        """Ingest and index new articles; ones already indexed are skipped (no-op)."""
        result = load_articles(sources)
        report = AddReport(warnings=list(result.warnings))
        with self.writing():
            new = []
            for article in result.articles:
                if self.has_article(article.doc_id):
                    report.duplicates.append(article)
                else:
                    new.append(article)
            if not new:
                self.last_embedded = 0
                return report
            self.extend(new, cache={}, progress=progress)
            report.added = new
            report.embedded = self.last_embedded
            self.record_sources(sources)
            self.save()
        return report

    def remove(self, doc_ids: Sequence[str] | str) -> list[str]:
        """Remove articles by id; returns the ids that were indexed."""
        if isinstance(doc_ids, str):
            doc_ids = [doc_ids]
        with self.writing():
            present = self.drop_articles(doc_ids)
            if present:
                self.save()
            return present

    def extend(self, articles: list[Article], cache: dict[str, np.ndarray], progress: bool = False) -> None:
        """Index ``articles``, embedding with this index's embedder (``add`` checks for
        duplicates and saves; ``build_index`` fills a new index with it). ``cache`` maps
        sentence-text hashes to vectors known from elsewhere (a previous build)."""
        with self._lock:
            self.last_embedded = self.append_articles(
                articles, cache, lambda missing: self.embedder.encode(missing, progress=progress)
            )

    def record_sources(self, sources: Iterable[Source] | Source) -> None:
        """Remember the files and folders given (``rag index --rebuild`` reads them again)."""
        if isinstance(sources, (str, Path, Article)):
            sources = [sources]
        for source in sources:
            if isinstance(source, (str, Path)):
                resolved = str(Path(source).resolve())
                if resolved not in self.sources:
                    self.sources.append(resolved)
