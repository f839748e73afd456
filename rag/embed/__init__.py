"""Embedding: text in, L2-normalized float32 vectors out.

Only this package imports sentence-transformers/torch. Backends share the
:class:`Embedder` interface; :func:`get_embedder` returns one per process.
"""

from __future__ import annotations

import threading

from rag.embed.base import MODEL_DIMENSION, MODEL_NAME, Embedder, model_path
from rag.embed.torch_backend import TorchEmbedder

__all__ = ["MODEL_DIMENSION", "MODEL_NAME", "Embedder", "TorchEmbedder", "get_embedder", "model_path"]

_embedders: dict[str, Embedder] = {}
_lock = threading.Lock()


def get_embedder(backend: str = "torch") -> Embedder:
    """The shared embedder of this process (the model loads once, on first use)."""
    with _lock:
        if backend not in _embedders:
            if backend == "torch":
                _embedders[backend] = TorchEmbedder()
            else:
                raise ValueError(f"unknown embedding backend {backend!r}; use 'torch'")
        return _embedders[backend]
