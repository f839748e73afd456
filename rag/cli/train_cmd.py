"""``rag train-reader``: train the span reader (delegates to ``rag.reader.train``)."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    """Add ``train-reader`` with the same options as ``python -m rag.reader.train``."""
    from rag.reader.train_settings import build_parser

    parser = subparsers.add_parser(
        "train-reader",
        help="train the span reader on SQuAD (CPU: about an hour; see rag/reader/model/MODEL_CARD.md)",
        description="Fine-tune all-MiniLM-L6-v2 with start/end heads on the SQuAD v1.1 train subset.",
    )
    build_parser(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from rag.reader.train import train

    logging.getLogger("rag.reader.train").setLevel(logging.INFO)
    logging.getLogger().setLevel(logging.INFO)
    train(args)
    return 0
