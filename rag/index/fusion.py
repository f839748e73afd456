"""Combine dense and BM25 scores into one ranking."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

FusionMethod = Literal["weighted", "rrf"]


@dataclass(frozen=True)
class FusionSettings:
    """How the two rankings are merged; recorded in the manifest.

    ``weighted``: ``bm25_weight * z(bm25) + dense_weight * z(dense)``, z-scores taken
    over the candidate pool. ``rrf``: sum of ``weight / (rrf_k + rank)``.
    """

    method: FusionMethod = "weighted"
    bm25_weight: float = 1.0
    dense_weight: float = 1.0
    rrf_k: int = 60
    candidates: int = 100  # taken from each side before fusing

    def __post_init__(self) -> None:
        if self.method not in ("weighted", "rrf"):
            raise ValueError(f"fusion method must be 'weighted' or 'rrf', got {self.method!r}")
        if self.candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {self.candidates}")
        if self.bm25_weight < 0 or self.dense_weight < 0:
            raise ValueError(
                f"fusion weights must be >= 0, got bm25={self.bm25_weight}, dense={self.dense_weight}"
            )

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def zscore(values: np.ndarray) -> np.ndarray:
    """Standardize; a constant vector maps to zeros."""
    std = float(values.std())
    if std < 1e-9:
        return np.zeros_like(values, dtype=np.float32)
    return ((values - values.mean()) / std).astype(np.float32)


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based rank of each value, highest first."""
    order = np.argsort(-values, kind="stable")
    result = np.empty(len(values), dtype=np.float32)
    result[order] = np.arange(1, len(values) + 1)
    return result


def fuse(dense: np.ndarray, bm25: np.ndarray, settings: FusionSettings) -> np.ndarray:
    """Fused score per candidate (same order as the inputs), higher is better."""
    if settings.method == "rrf":
        return settings.dense_weight / (settings.rrf_k + ranks(dense)) + settings.bm25_weight / (
            settings.rrf_k + ranks(bm25)
        )
    return settings.bm25_weight * zscore(bm25) + settings.dense_weight * zscore(dense)
