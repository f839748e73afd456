"""``rag train reader|ranker|reranker|windows|remainder|matcher|device-pack|device-import``: train or
refit a shipped model (``rag.training``).

``rag train-reader`` stays as an alias of ``rag train reader``. torch, scikit-learn and the
models load only when a command runs, so ``rag --help`` stays fast.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable

READER_HELP = "train the span reader on SQuAD (CPU: about an hour; see rag/reader/model/MODEL_CARD.md)"
READER_DESCRIPTION = "Fine-tune all-MiniLM-L6-v2 with start/end heads on the SQuAD v1.1 train subset."


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    """Add ``train`` with its sub-commands, and the ``train-reader`` alias."""
    from rag.training import device_import, device_pack, matcher, ranker, remainder, reranker, windows
    from rag.training.reader_settings import build_parser as reader_options

    train = subparsers.add_parser(
        "train",
        help="train or refit a shipped model (reader, ranker, reranker; windows and remainder write reader pairs)",
        description="Train or refit a shipped model; each writes elsewhere with --out/--output.",
    )
    commands = train.add_subparsers(dest="train_command", required=True)
    reader = commands.add_parser("reader", help=READER_HELP, description=READER_DESCRIPTION)
    reader_options(reader).set_defaults(run=_logged(run_reader))
    for name, module in (
        ("ranker", ranker),
        ("reranker", reranker),
        ("windows", windows),
        ("remainder", remainder),
        ("matcher", matcher),
        ("device-pack", device_pack),
        ("device-import", device_import),
    ):
        parser = commands.add_parser(
            name,
            help=module.DESCRIPTION[0].lower() + module.DESCRIPTION[1:].rstrip("."),
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.build_parser(parser).set_defaults(run=_logged(module.run))
    alias = subparsers.add_parser(
        "train-reader", help="alias of `rag train reader`", description=READER_DESCRIPTION
    )
    reader_options(alias).set_defaults(run=_logged(run_reader))


def run_reader(args: argparse.Namespace) -> int:
    """Train the span reader with the parsed options (``rag.training.reader.train``)."""
    from rag.training.reader import train

    train(args)
    return 0


def _logged(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``run`` with the training progress logs shown (the ``rag`` command hides INFO by default;
    other libraries' INFO, e.g. ONNX Runtime's quantizer, stays hidden)."""

    def logged_run(args: argparse.Namespace) -> int:
        logging.getLogger("rag.training").setLevel(logging.INFO)
        return int(run(args) or 0)

    return logged_run
