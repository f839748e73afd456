"""Where training reads its data and keeps its caches (all outside the shipped package).

The SQuAD files sit beside the repository checkout (``../shared``); only training and the
evaluations read them. Records and embedding caches go under ``benchmarks/.cache/training``
(git-ignored), like the evaluations' indexes under ``benchmarks/.cache``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.config import PROJECT_ROOT

SHARED_DIR = PROJECT_ROOT.parent / "shared"
#: The SQuAD v1.1 train subset (its first 44 pages): the re-ranker's fit questions.
TRAIN_SUBSET = SHARED_DIR / "train" / "squad-v1.1-train-subset.json"
#: All of SQuAD v1.1 train (442 pages, 87,599 questions): the reader and the sentence ranker.
TRAIN_FULL = SHARED_DIR / "train" / "squad-v1.1-train.json"
#: SQuAD v1.1 dev part A: periodic and final checks, never fitted on.
DEV_PART_A = SHARED_DIR / "eval" / "squad-v1.1-dev-part-a.json"
#: Fitting records and embedding vectors, reused by later runs.
DEFAULT_CACHE_DIR = PROJECT_ROOT / "benchmarks" / ".cache" / "training"
#: Hex digits of a digest kept in a cache folder's name.
DIGEST_LENGTH = 12


def digest(*parts: str | bytes | Path) -> str:
    """A short sha256 over ``parts``: a file's bytes for a :class:`Path`, the value itself otherwise.

    Example:
        >>> digest("depth", "5")
        '74d3d2d16ab0'
    """
    hasher = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            hasher.update(part.read_bytes())
        else:
            hasher.update(part.encode() if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()[:DIGEST_LENGTH]


def require_file(path: Path, what: str) -> Path:
    """``path`` when it is a file.

    Raises:
        FileNotFoundError: naming ``path`` and ``what`` it should hold.
    """
    if not path.is_file():
        raise FileNotFoundError(
            f"missing {path}: {what} (SQuAD v1.1 lives in ../shared/train and ../shared/eval)"
        )
    return path
