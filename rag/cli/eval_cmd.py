"""``rag eval retrieval|answers FILE.json``: quality on a SQuAD-format file.

Each evaluation lives in ``rag/eval/<name>.py`` and exposes ``register(subparsers)``;
those modules use the public API like any user and import heavy things lazily.
"""

from __future__ import annotations

import importlib

EVALUATIONS = ("retrieval", "answers")


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser("eval", help="measure quality on a SQuAD-format file")
    evaluations = parser.add_subparsers(dest="evaluation", required=True)
    for name in EVALUATIONS:
        try:
            module = importlib.import_module(f"rag.eval.{name}")
        except ModuleNotFoundError:
            continue
        module.register(evaluations)
