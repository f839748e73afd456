"""Combine the retrieval signals of the candidate chunks into one ranking.

Signals, each one score per candidate chunk, higher is better:

- ``bm25``: BM25 of the whole chunk (with its article title);
- ``dense``: the best cosine of the question and one sentence of the chunk (sentence max-sim);
- ``sentence_bm25``: the best BM25 of one sentence of the chunk (scored against a
  sentence-level BM25 index), which rewards chunks that hold the question's words
  close together, as SQuAD answers' sentences do.

The defaults were chosen by measurement on SQuAD part A (``rag eval retrieval``; see
benchmarks/README.md, "Retrieval"): equal-weight RRF loses to BM25 alone at recall@1,
z-scored weighted fusion wins.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

FusionMethod = Literal["weighted", "rrf"]
Signal = Literal["bm25", "dense", "sentence_bm25"]
SIGNALS: tuple[Signal, ...] = ("bm25", "dense", "sentence_bm25")

DEFAULT_METHOD: FusionMethod = "weighted"
DEFAULT_BM25_WEIGHT = 1.0
DEFAULT_DENSE_WEIGHT = 1.5
DEFAULT_SENTENCE_BM25_WEIGHT = 0.5
DEFAULT_RRF_K = 60  # the constant of Cormack et al. (2009)
DEFAULT_CANDIDATES = 100  # chunks taken from each of the dense and BM25 rankings
CONSTANT_STD = 1e-9  # below this spread a signal says nothing about the order


@dataclass(frozen=True)
class FusionSettings:
    """How the signals are merged; recorded in the manifest, overridable per search.

    ``weighted``: ``sum(weight * z(signal))``, each signal z-scored over the candidate
    pool, so weights compare signals of different scales. ``rrf``: ``sum(weight / (rrf_k +
    rank))``. A weight of 0 leaves that signal out (and skips computing it).

    Example:
        >>> FusionSettings(method="rrf").rrf_k
        60
    """

    method: FusionMethod = DEFAULT_METHOD
    bm25_weight: float = DEFAULT_BM25_WEIGHT
    dense_weight: float = DEFAULT_DENSE_WEIGHT
    sentence_bm25_weight: float = DEFAULT_SENTENCE_BM25_WEIGHT
    rrf_k: int = DEFAULT_RRF_K
    candidates: int = DEFAULT_CANDIDATES

    def __post_init__(self) -> None:
        if self.method not in ("weighted", "rrf"):
            raise ValueError(f"fusion method must be 'weighted' or 'rrf', got {self.method!r}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {self.candidates}")
        if self.rrf_k < 0:
            raise ValueError(f"rrf_k must be >= 0, got {self.rrf_k}")
        weights = self.weights()
        if any(weight < 0 for weight in weights.values()) or not any(weights.values()):
            named = ", ".join(f"{name}={weight}" for name, weight in weights.items())
            raise ValueError(f"fusion weights must be >= 0 and not all 0, got {named}")

    def weights(self) -> dict[Signal, float]:
        """Weight of each signal, by name."""
        return {
            "bm25": self.bm25_weight,
            "dense": self.dense_weight,
            "sentence_bm25": self.sentence_bm25_weight,
        }

    @classmethod
    def single(cls, signal: Signal, candidates: int = DEFAULT_CANDIDATES) -> FusionSettings:
        """Rank by one signal alone (``"bm25"`` or ``"dense"``), e.g. to compare with fusion."""
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
        weights = {f"{name}_weight": float(name == signal) for name in SIGNALS}
        return cls(method="weighted", candidates=candidates, **weights)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def zscore(values: np.ndarray, dtype: type[np.floating] = np.float32) -> np.ndarray:
    """Standardize to ``dtype`` (float32 for fusion, float64 for the answerer's features); a
    constant vector maps to zeros. The one z-score of the package."""
    std = float(values.std())
    if std < CONSTANT_STD:
        return np.zeros(values.shape, dtype=dtype)
    return ((values - values.mean()) / std).astype(dtype)


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, highest first (ties: first come, first ranked)."""
    order = np.argsort(-values, kind="stable")
    result = np.empty(len(values), dtype=np.float32)
    result[order] = np.arange(1, len(values) + 1)
    return result


def fuse(signals: dict[Signal, np.ndarray], settings: FusionSettings) -> np.ndarray:
    """Fused score per candidate (same order as the inputs), higher is better.

    ``signals`` maps a signal name to its scores; a signal with weight 0 may be absent.

    Raises:
        ValueError: a weighted signal is missing or the arrays differ in length.
    """
    weights = {name: weight for name, weight in settings.weights().items() if weight > 0}
    missing = sorted(set(weights) - set(signals))
    if missing:
        raise ValueError(f"fusion needs the signals {missing}, got {sorted(signals)}")
    sizes = {len(signals[name]) for name in weights}
    if len(sizes) != 1:
        raise ValueError(f"signals differ in length: { {name: len(signals[name]) for name in weights} }")
    fused = np.zeros(sizes.pop(), dtype=np.float32)
    for name, weight in weights.items():
        if settings.method == "rrf":
            fused += weight / (settings.rrf_k + ranks(signals[name]))
        else:
            fused += weight * zscore(signals[name])
    return fused
