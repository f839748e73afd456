"""Helpers shared by the hardening tests: a model-free embedder, numbered articles, subprocesses.

The hashing embedder hashes each word into one of ``dimension`` buckets; the bag is
L2-normalized. No model loads, so a subprocess can start, write and be killed in well
under a second.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embed import Embedder
from rag.ingest import doc_id_for
from rag.types import Article

TESTS = Path(__file__).resolve().parent
_WORD = re.compile(r"\w+")
TOPICS = ("harbour", "orchard", "glacier", "railway", "library", "volcano", "bakery", "stadium")


class HashingEmbedder(Embedder):
    model_name = "test/hashing-embedder"
    dimension = 32
    backend = "hashing"

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=4).digest(), "big")
                vectors[row, bucket % self.dimension] += 1.0
            vectors[row, 0] += 1e-3  # never the zero vector: every text has a direction
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def numbered_article(number: int) -> Article:
    """A small distinct article: its title and text name ``number`` and a topic word."""
    topic = TOPICS[number % len(TOPICS)]
    text = (
        f"The {topic} of town {number} reopened on Monday. "
        f"Officials said the {topic} had been closed for {number + 2} weeks. "
        f"Residents of town {number} welcomed the news."
    )
    return Article(doc_id=doc_id_for(text), title=f"Town {number} {topic}", text=text)


def python_command(script: str) -> list[str]:
    """argv running ``script`` with this interpreter (the helpers importable)."""
    return [sys.executable, "-c", script]


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
    env["HF_HUB_OFFLINE"] = "1"
    return env


def run_python(script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        python_command(script), env=subprocess_env(), capture_output=True, text=True, timeout=timeout, check=False
    )
