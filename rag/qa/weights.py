"""How informative a word is in the indexed corpus (inverse document frequency)."""

from __future__ import annotations

import math
from collections import OrderedDict

from rag.index import SearchIndex

#: Words whose weights are remembered per index (a question has a handful).
WEIGHT_CACHE_SIZE = 50_000


class TermWeights:
    """BM25's IDF of a word over the passages of ``index``, computed on demand and cached.

    The cache is dropped whenever the index's contents change (``Index.version``).
    """

    def __init__(self, index: SearchIndex, cache_size: int = WEIGHT_CACHE_SIZE) -> None:
        if cache_size < 1:
            raise ValueError(f"cache_size must be >= 1, got {cache_size}")
        self.index = index
        self.cache_size = cache_size
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._size = -1
        self._version = -1

    def frequency(self, word: str) -> int:
        """Number of indexed passages holding ``word`` (after BM25's stemming)."""
        size = len(self.index)
        if self.index.version != self._version or size != self._size:
            self._cache.clear()
            self._size = size
            self._version = self.index.version
        key = word.lower()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        frequency = self.index.passage_frequency(key) if size else 0
        self._cache[key] = frequency
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return frequency

    def idf(self, word: str) -> float:
        """``log(1 + (N - df + 0.5) / (df + 0.5))``; an unseen word gets the highest weight."""
        frequency = self.frequency(word)
        return math.log(1.0 + (self._size - frequency + 0.5) / (frequency + 0.5))
