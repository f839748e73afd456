"""A tiny deterministic embedder for index tests where the real model is not the point."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from rag.embed.base import Embedder

_WORD = re.compile(r"\w+")


class HashingEmbedder(Embedder):
    """Bag of lower-cased words hashed into ``dimension`` buckets, L2-normalized.

    Texts sharing words get a positive cosine; ``encoded`` counts every text embedded,
    so tests can check what an index re-embeds.
    """

    backend = "test-hashing"

    def __init__(self, model_name: str = "test/hashing-embedder", dimension: int = 64) -> None:
        self.model_name = model_name
        self.dimension = dimension
        self.encoded = 0

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        self.encoded += len(texts)
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little") % self.dimension
                vectors[row, bucket] += 1.0
            norm = float(np.linalg.norm(vectors[row]))
            if norm > 0:
                vectors[row] /= norm
            else:
                vectors[row, 0] = 1.0
        return vectors
