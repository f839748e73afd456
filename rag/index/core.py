"""The hybrid index: its contents (``rag.index.contents``) with an embedder, locks and snapshots.

Reading (``search``, ``articles``) and writing (``add``, ``remove``) are safe across threads of
one process; across processes, a writer takes the folder's lock, starts from the live snapshot
and saves a new one atomically (``rag.index.store``) before it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunk import ChunkSettings
from rag.embed import MODEL_DIMENSION, Embedder
from rag.index import store
from rag.index.base import SearchIndex
from rag.index.contents import IndexContents
from rag.index.dense import DEFAULT_APPROXIMATE_ABOVE
from rag.index.filters import Filter
from rag.index.fusion import FusionSettings
from rag.index.snapshot import SnapshotFiles, read_files, write_files
from rag.index.sparse import SparseSettings, tokenize
from rag.index.store import IndexCorruptError, IndexError_
from rag.index.texts import content_hash
from rag.types import Article, Chunk, Hit

logger = logging.getLogger(__name__)

LOAD_ATTEMPTS = 3  # a writer may swap and delete the snapshot while it is being read
KEPT_ON_RELOAD = ("_lock", "_embedder", "last_embedded", "version")  # this object's, not the snapshot's


class Index(IndexContents, SearchIndex):
    """The ``local`` backend: a hybrid FAISS + BM25 index over article chunks, held in memory
    and saved as snapshot files in its folder.

    Use :func:`rag.build_index` / :func:`rag.load_index` to get one. When the index has a
    folder, ``add`` and ``remove`` save a new snapshot atomically before returning.
    """

    backend = "local"

    def __init__(
        self,
        index_dir: str | Path | None = None,
        chunk_settings: ChunkSettings | None = None,
        fusion: FusionSettings | None = None,
        embedder: Embedder | None = None,
        approximate_above: int = DEFAULT_APPROXIMATE_ABOVE,
        sparse: SparseSettings | None = None,
    ) -> None:
        dimension = embedder.dimension if embedder else MODEL_DIMENSION
        IndexContents.__init__(self, dimension, chunk_settings, approximate_above, sparse)
        SearchIndex.__init__(self, index_dir, fusion, embedder)
        self.snapshot: str | None = None  # the snapshot folder this object reflects

    # -- reading ---------------------------------------------------------------------------

    def articles(self) -> list[Article]:
        """Indexed articles with their metadata, in the order they were added."""
        with self._lock:
            return super().articles()

    def has_article(self, doc_id: str) -> bool:
        return doc_id in self._articles

    def chunk(self, chunk_id: str) -> Chunk:
        try:
            return self.chunks[self._row_of_chunk[chunk_id]]
        except KeyError:
            raise KeyError(f"no chunk {chunk_id!r} in the index") from None

    def passage_frequency(self, word: str) -> int:
        return int(np.count_nonzero(self.sparse.scores(word))) if self.chunks else 0

    def articles_holding(self, question: str) -> int:
        held: set[str] | None = None
        for token in set(tokenize(question)) if self.chunks else ():
            holding = {self.chunks[row].doc_id for row in self.sparse.rows_holding(token)}
            held = holding if held is None else held & holding
            if not held:
                return 0
        return len(held or ())

    def _rank(
        self, query: np.ndarray, question: str, k: int, fusion: FusionSettings, filters: Filter | None
    ) -> list[Hit]:
        allowed = None if filters is None else self.allowed_rows(filters)
        return self.rank(query, question, k, fusion, allowed)

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the writer lock for a whole read-modify-write, starting from the live snapshot.

        Another process may have saved since this index was loaded; its changes are read in
        first, so two writers never overwrite each other's articles. When the write fails
        (disk full, interrupted), the index goes back to the snapshot still on disk.
        """
        if self.index_dir is None:
            with self._lock:
                yield
            return
        with self._lock, store.writer_lock(self.index_dir):
            live = store.live_snapshot_name(self.index_dir)
            if live is not None and live != self.snapshot:
                self.reload()
            try:
                yield
            except BaseException:
                if live is not None and store.live_snapshot_name(self.index_dir) == live:
                    try:
                        self.reload()
                    except Exception:  # the original error matters more
                        logger.exception("could not reload %s after a failed write", self.index_dir)
                raise

    # -- persistence -----------------------------------------------------------------------

    def manifest(self) -> dict[str, object]:
        """What ``manifest.json`` records: format, model, settings, counts, sources, article hashes."""
        return {
            "format_version": store.FORMAT_VERSION,
            # The backend is recorded so vectors of another backend are never reused as a cache.
            "model": {"name": self.model_name, "dimension": self.dimension, "backend": self.embedder.backend},
            # What computed the vectors on the machine that wrote this snapshot (for bug reports).
            "runtime": self.embedder.runtime(),
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
            "articles": {doc_id: content_hash(article.text) for doc_id, article in self._articles.items()},
        }

    def save(self) -> None:
        """Write a new snapshot atomically (no-op for an in-memory index)."""
        if self.index_dir is None:
            return
        with self._lock, store.writer_lock(self.index_dir):
            files = self.to_files(self.manifest())
            self.snapshot = store.write_snapshot(
                self.index_dir, lambda folder: write_files(folder, files)
            ).name

    @classmethod
    def load(
        cls,
        index_dir: str | Path,
        embedder: Embedder | None = None,
        chunk_settings: ChunkSettings | None = None,
    ) -> Index:
        """The index saved in ``index_dir`` (see :func:`load_index`)."""
        index_dir = Path(index_dir)
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            live = store.live_snapshot_name(index_dir)
            try:
                folder = store.snapshot_path(index_dir)
                files = read_files(index_dir, folder, embedder, chunk_settings)
                return cls._from_files(index_dir, folder.name, files, embedder)
            except IndexCorruptError:
                if attempt == LOAD_ATTEMPTS or store.live_snapshot_name(index_dir) == live:
                    raise
                logger.info("snapshot %s was replaced while loading; reading the new one", live)
        raise AssertionError("unreachable")

    @classmethod
    def _from_files(
        cls, index_dir: Path, snapshot: str, files: SnapshotFiles, embedder: Embedder | None = None
    ) -> Index:
        manifest: dict[str, Any] = files.manifest
        try:
            index = cls(
                index_dir,
                chunk_settings=ChunkSettings(**manifest["chunking"]),
                fusion=FusionSettings(**manifest["fusion"]),
                embedder=embedder,
                approximate_above=int(manifest["dense"]["approximate_above"]),
                sparse=SparseSettings(**manifest.get("sparse", {})),
            )
            index.restore(files)
        except IndexError_:
            raise
        except Exception as error:  # settings or tables that do not fit together
            raise IndexCorruptError(
                f"index at {index_dir} is damaged ({type(error).__name__}: {error}); {store.rebuild_hint(index_dir)}"
            ) from error
        index.sources = list(manifest.get("sources", []))
        index.snapshot = snapshot
        return index

    def reload(self) -> None:
        """Replace this index's contents with the live snapshot on disk."""
        assert self.index_dir is not None
        fresh = Index.load(self.index_dir, embedder=self._embedder, chunk_settings=self.chunk_settings)
        with self._lock:
            for name, value in vars(fresh).items():
                if name not in KEPT_ON_RELOAD:
                    setattr(self, name, value)
            self.version += 1
