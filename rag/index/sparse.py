"""BM25 side of the index (bm25s, Snowball stemming, English stop words)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"(?u)\b\w+\b")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed tokens; documents and queries alike."""
    stopwords = _stopwords()
    words = [word for word in _TOKEN.findall(text.lower()) if word not in stopwords]
    return _stemmer().stemWords(words) if words else []


class SparseIndex:
    """BM25 scores over the indexed texts. bm25s cannot add incrementally, so
    ``build`` re-indexes every text (about 0.3 s per 1,000 passages)."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._retriever = None
        self.size = 0

    def build(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        if not texts:
            self._retriever = None
            return
        retriever = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        # "lucene" IDF is log(1 + (N - df + 0.5) / (df + 0.5)) > 0 even for N = 1
        # (DrQA's Robertson IDF collapses to zero or below on tiny corpora).
        retriever.index([tokenize(text) for text in texts], show_progress=False)
        self._retriever = retriever

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for ``query`` (zeros when no query term is known)."""
        if self._retriever is None:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self._retriever.vocab_dict
        tokens = [token for token in tokenize(query) if token in vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    def save(self, folder: Path) -> None:
        if self._retriever is not None:
            self._retriever.save(str(folder / "bm25"), show_progress=False)

    def load(self, folder: Path, size: int) -> None:
        import bm25s

        self.size = size
        if size == 0:
            self._retriever = None
            return
        self._retriever = bm25s.BM25.load(str(folder / "bm25"), mmap=False, show_progress=False)
        loaded = self._retriever.scores["num_docs"]
        if loaded != size:
            raise ValueError(f"BM25 file holds {loaded} passages, the index lists {size}")
