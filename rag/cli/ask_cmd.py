"""``rag ask``: (to be implemented)."""

from __future__ import annotations


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    pass
