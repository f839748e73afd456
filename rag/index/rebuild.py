"""Recover an index from what it knows: its own article texts or its source paths."""

from __future__ import annotations

from pathlib import Path

from rag.index import store


def known_sources(index_dir: Path) -> list[str]:
    """Source paths recorded by the newest readable manifest of ``index_dir``."""
    candidates = []
    try:
        candidates.append(store.snapshot_path(index_dir))
    except store.IndexError_:
        pass
    candidates.extend(sorted(index_dir.glob("snap-*"), reverse=True))
    for folder in candidates:
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
