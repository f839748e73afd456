"""BM25 side of the index (bm25s, Snowball stemming, English stop words).

Besides bm25s's English stop words, the words that only shape a question ("what",
"how many", "did") are dropped from questions and texts alike: they say nothing about
which passage answers (measured on SQuAD part A: BM25 recall@1 .804 -> .818).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_TOKEN = re.compile(r"(?u)\b\w+\b")

QUESTION_WORDS = frozenset(
    "what which who whom whose when where why how did does do was were many much name type kind".split()
)
DEFAULT_K1 = 1.2
DEFAULT_B = 0.75
PASSAGE_FOLDER = "bm25"
SENTENCE_FOLDER = "bm25_sentences"


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | QUESTION_WORDS


def tokenize(text: str) -> list[str]:
    """Lower-cased, stemmed tokens without stop and question words; texts and questions alike.

    >>> tokenize("How many Super Bowls did the Broncos win?")
    ['super', 'bowl', 'bronco', 'win']
    """
    stopwords = _stopwords()
    words = [word for word in _TOKEN.findall(text.lower()) if word not in stopwords]
    return _stemmer().stemWords(words) if words else []


@dataclass(frozen=True)
class SparseSettings:
    """BM25 parameters (Lucene's variant); recorded in the manifest."""

    k1: float = DEFAULT_K1
    b: float = DEFAULT_B

    def __post_init__(self) -> None:
        if self.k1 < 0:
            raise ValueError(f"k1 must be >= 0, got {self.k1}")
        if not 0 <= self.b <= 1:
            raise ValueError(f"b must be between 0 and 1, got {self.b}")

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


class SparseIndex:
    """BM25 scores over the indexed texts, saved under ``folder_name`` of a snapshot.

    bm25s cannot add incrementally, so ``build`` re-indexes every text (about 0.3 s
    per 1,000 passages).
    """

    def __init__(self, settings: SparseSettings | None = None, folder_name: str = PASSAGE_FOLDER) -> None:
        self.settings = settings or SparseSettings()
        self.folder_name = folder_name
        self._retriever = None
        self.size = 0

    def build(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        if not texts:
            self._retriever = None
            return
        retriever = bm25s.BM25(k1=self.settings.k1, b=self.settings.b, method="lucene")
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

    def rows_holding(self, token: str) -> np.ndarray:
        """Rows of the texts that hold ``token`` (a stem as :func:`tokenize` gives it)."""
        if self._retriever is None or token not in self._retriever.vocab_dict:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self._retriever.get_scores([token]))

    def save(self, folder: Path) -> None:
        if self._retriever is not None:
            self._retriever.save(str(folder / self.folder_name), show_progress=False)

    def exists(self, folder: Path) -> bool:
        """Whether ``folder`` holds this index's files (older snapshots lack sentence BM25)."""
        return (folder / self.folder_name).is_dir()

    def load(self, folder: Path, size: int) -> None:
        """Read the arrays saved by :meth:`save`; raises ValueError when they hold another count."""
        import bm25s

        self.size = size
        if size == 0:
            self._retriever = None
            return
        retriever = bm25s.BM25.load(str(folder / self.folder_name), mmap=False, show_progress=False)
        self._retriever = retriever
        loaded = retriever.scores["num_docs"]
        if loaded != size:
            raise ValueError(f"BM25 file {self.folder_name} holds {loaded} texts, the index lists {size}")
