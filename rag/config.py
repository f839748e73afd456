"""Where things live by default; environment variables override for a whole process."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def default_index_dir() -> Path:
    """``$RAG_INDEX_DIR`` or ``indexes/default`` in the project."""
    return Path(os.environ.get("RAG_INDEX_DIR") or PROJECT_ROOT / "indexes" / "default")


def seeds_dir() -> Path:
    """``$RAG_SEEDS_DIR`` or the project's ``seeds/``: the default corpus."""
    return Path(os.environ.get("RAG_SEEDS_DIR") or PROJECT_ROOT / "seeds")


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
