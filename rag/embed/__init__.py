"""Embedding: text in, L2-normalized float32 vectors out.

Only this package imports sentence-transformers/torch/onnxruntime. Backends share the
:class:`Embedder` interface, one file each; :func:`get_embedder` returns one per process
and backend.

Backends (all the same all-MiniLM-L6-v2; figures in benchmarks/README.md, "Speed"):

- ``onnx-int8``: ONNX Runtime, int8 weights (per-channel), length-sorted small batches.
  The default: fastest, and its retrieval recall on SQuAD part A matches ``torch``.
- ``onnx``: ONNX Runtime in float32.
- ``torch``: sentence-transformers in float32 (the reference).
- ``torch-bf16``: sentence-transformers in bfloat16.

``RAG_EMBED_BACKEND`` picks the backend for a whole process.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable
from typing import Literal, get_args

from rag.embed.base import MODEL_DIMENSION, MODEL_NAME, Embedder, model_path
from rag.embed.onnx_backend import OnnxEmbedder
from rag.embed.torch_backend import TorchEmbedder

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "MODEL_DIMENSION",
    "MODEL_NAME",
    "Backend",
    "Embedder",
    "OnnxEmbedder",
    "TorchEmbedder",
    "default_backend",
    "get_embedder",
    "make_embedder",
    "model_path",
]

logger = logging.getLogger(__name__)

Backend = Literal["onnx-int8", "onnx", "torch", "torch-bf16"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)
DEFAULT_BACKEND: Backend = "onnx-int8"
FALLBACK_BACKEND: Backend = "torch"  # when onnxruntime is not installed
BACKEND_ENV = "RAG_EMBED_BACKEND"

_FACTORIES: dict[Backend, Callable[[], Embedder]] = {
    "onnx-int8": lambda: OnnxEmbedder(quantization="int8"),
    "onnx": lambda: OnnxEmbedder(quantization="none"),
    "torch": lambda: TorchEmbedder(dtype="float32"),
    "torch-bf16": lambda: TorchEmbedder(dtype="bfloat16"),
}
_embedders: dict[Backend, Embedder] = {}
_lock = threading.Lock()


def _check_backend(backend: str) -> Backend:
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; use one of {', '.join(BACKENDS)}")
    return backend  # type: ignore[return-value]


def default_backend() -> Backend:
    """``$RAG_EMBED_BACKEND``, else ``onnx-int8`` when onnxruntime is installed, else ``torch``."""
    chosen = os.environ.get(BACKEND_ENV)
    if chosen:
        return _check_backend(chosen)
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("onnx") is None:
        logger.warning(
            "onnxruntime/onnx not installed: embedding with torch (pip install -e '.[speed]' is faster)"
        )
        return FALLBACK_BACKEND
    return DEFAULT_BACKEND


def make_embedder(backend: str) -> Embedder:
    """A new, unshared embedder for ``backend`` (the model loads on its first use)."""
    return _FACTORIES[_check_backend(backend)]()


def get_embedder(backend: str | None = None) -> Embedder:
    """The shared embedder of this process for ``backend`` (default: :func:`default_backend`).

    The model loads once, on first use.

    Raises:
        ValueError: unknown backend name.

    Example:
        >>> get_embedder().encode(["A short text."]).shape  # doctest: +SKIP
        (1, 384)
    """
    name = _check_backend(backend) if backend is not None else default_backend()
    with _lock:
        if name not in _embedders:
            _embedders[name] = make_embedder(name)
        return _embedders[name]
