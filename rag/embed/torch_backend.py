"""sentence-transformers on PyTorch (CPU)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from rag.embed.base import Embedder, model_path, offline


class TorchEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers; the model loads on first use."""

    backend = "torch"

    def __init__(self, max_seq_length: int = 256) -> None:
        if max_seq_length < 8:
            raise ValueError(f"max_seq_length must be >= 8, got {max_seq_length}")
        self.max_seq_length = max_seq_length
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                offline()
                from sentence_transformers import SentenceTransformer

                model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
                model.max_seq_length = self.max_seq_length
                self._model = model
            return self._model

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
