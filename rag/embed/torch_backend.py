"""sentence-transformers on PyTorch (CPU), in float32 or bfloat16."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Literal

import numpy as np

from rag.embed.base import Embedder, model_path, offline

TorchDtype = Literal["float32", "bfloat16"]
TORCH_DTYPES: tuple[TorchDtype, ...] = ("float32", "bfloat16")
DEFAULT_TORCH_BATCH_SIZE = 32  # sentence-transformers' own default
MIN_SEQ_LENGTH = 8


class TorchEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers; the model loads on first use.

    Args:
        max_seq_length: word-pieces kept per text, [CLS] and [SEP] included.
        dtype: ``"float32"`` (the reference) or ``"bfloat16"`` (weights and activations
            in bfloat16 on CPUs that support it; vectors are returned as float32).
        batch_size: texts per forward pass when ``encode`` is not told otherwise.
    """

    def __init__(
        self,
        max_seq_length: int = 256,
        dtype: TorchDtype = "float32",
        batch_size: int = DEFAULT_TORCH_BATCH_SIZE,
    ) -> None:
        if max_seq_length < MIN_SEQ_LENGTH:
            raise ValueError(f"max_seq_length must be >= {MIN_SEQ_LENGTH}, got {max_seq_length}")
        if dtype not in TORCH_DTYPES:
            raise ValueError(f"dtype must be one of {TORCH_DTYPES}, got {dtype!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.max_seq_length = max_seq_length
        self.dtype = dtype
        self.batch_size = batch_size
        self.backend = "torch" if dtype == "float32" else "torch-bf16"
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._model is None:
                offline()
                import torch
                from sentence_transformers import SentenceTransformer

                model_kwargs = {"torch_dtype": torch.bfloat16} if self.dtype == "bfloat16" else None
                model = SentenceTransformer(
                    str(model_path()), device="cpu", local_files_only=True, model_kwargs=model_kwargs
                )
                model.max_seq_length = self.max_seq_length
                self._model = model
            return self._model

    def runtime(self) -> dict[str, object]:
        """Backend and torch version (torch picks its CPU kernels itself: ``torch.backends.cpu``)."""
        from importlib.metadata import version

        return {"backend": self.backend, "torch": version("torch")}

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of str, not one str; use encode_query(text) for one")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size or self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
