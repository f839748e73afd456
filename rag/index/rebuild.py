"""Recover an index from what it knows: its own article texts or its source paths."""

from __future__ import annotations

import logging
from pathlib import Path

from rag.index import store
from rag.types import Article

logger = logging.getLogger(__name__)


def _snapshots(index_dir: Path) -> list[Path]:
    """Snapshot folders, the live one first, then the others newest first."""
    folders = []
    try:
        folders.append(store.snapshot_path(index_dir))
    except store.IndexError_:
        pass
    if index_dir.is_dir():
        folders += [
            f for f in sorted(index_dir.glob("snap-*"), reverse=True) if f.is_dir() and f not in folders
        ]
    return folders


def recover_articles(index_dir: Path) -> list[Article]:
    """Articles stored in the newest snapshot whose ``articles.jsonl`` still reads cleanly."""
    for folder in _snapshots(index_dir):
        try:
            return [Article.from_dict(row) for row in store.read_jsonl(folder / "articles.jsonl")]
        except (OSError, ValueError, TypeError, KeyError) as error:
            logger.warning("cannot recover articles from %s: %s", folder, error)
    return []


def known_sources(index_dir: Path) -> list[str]:
    """Source paths recorded by the newest readable manifest of ``index_dir``."""
    for folder in _snapshots(index_dir):
        try:
            sources = store.read_json(folder / "manifest.json").get("sources", [])
        except (OSError, ValueError, AttributeError):
            continue
        existing = [source for source in sources if Path(source).exists()]
        if existing:
            return existing
    raise store.IndexNotFoundError(
        f"cannot rebuild {index_dir}: no readable manifest lists sources; run `rag index PATH... --index {index_dir}`"
    )
