"""Helpers shared by the hardening tests: a model-free embedder, numbered articles, subprocesses.

The hashing embedder (``index_fakes.HashingEmbedder``, shared with the index tests) hashes each
word into one of ``dimension`` buckets; the bag is L2-normalized. No model loads, so a
subprocess can start, write and be killed in well under a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from index_fakes import HashingEmbedder  # noqa: F401  (re-exported for the hardening tests)

from rag.ingest import doc_id_for
from rag.types import Article

TESTS = Path(__file__).resolve().parent
TOPICS = ("harbour", "orchard", "glacier", "railway", "library", "volcano", "bakery", "stadium")


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
        python_command(script),
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
