"""Sentence vectors, embedded once per distinct sentence and kept in a bounded cache."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from rag.embed import Embedder

#: Sentence vectors kept (384 float32 each: 20,000 take about 31 MB).
SENTENCE_CACHE_SIZE = 20_000


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class SentenceVectors:
    """Unit-length vectors of sentences; repeated sentences are not embedded again.

    Embedding is the slow part of ranking sentences (about 5 ms a sentence on two CPU
    cores), and the same passages come back for related questions, so vectors are cached
    by a hash of the text (least recently used ones are dropped past ``cache_size``).
    """

    def __init__(self, embedder: Embedder, cache_size: int = SENTENCE_CACHE_SIZE) -> None:
        if cache_size < 1:
            raise ValueError(f"cache_size must be >= 1, got {cache_size}")
        self.embedder = embedder
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._cache)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts``, shape ``(len(texts), dimension)``, in order."""
        keys = [_key(text) for text in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for key in keys:
                vector = self._cache.get(key)
                if vector is not None:
                    self._cache.move_to_end(key)
                    found[key] = vector
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
        if missing:
            vectors = self.embedder.encode(list(missing.values()))
            fresh = dict(zip(missing, vectors, strict=True))
            found.update(fresh)
            with self._lock:
                self._cache.update(fresh)
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        if not keys:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def warm(self, texts: Sequence[str]) -> None:
        """Embed ``texts`` ahead of questions (e.g. every sentence of a small corpus)."""
        self.encode(texts)
