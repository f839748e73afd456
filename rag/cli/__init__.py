"""The ``rag`` command. Each subcommand lives in its own module with ``register(subparsers)``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from rag.cli import ask_cmd, doctor_cmd, eval_cmd, index_cmd, ingest_cmd, serve_cmd, train_cmd

COMMANDS = (ingest_cmd, index_cmd, ask_cmd, eval_cmd, serve_cmd, train_cmd, doctor_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Ask questions of news articles.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show debug logs")
    parser.add_argument(
        "--version",
        action="version",
        version=doctor_cmd.version_line(),
        help="show the version, int8 kernels and exit",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.WARNING
    root = logging.getLogger()
    if not root.handlers:  # a host that set up logging (a test runner, an app) keeps its own
        logging.basicConfig(level=level, format="%(levelname)s: %(message)s")
        # On the handler too: a library that sets its own logger to DEBUG when first imported
        # (bm25s does) would otherwise print its debug lines without -v.
        root.handlers[0].setLevel(level)
    for noisy in ("bm25s", "sentence_transformers", "httpx", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, RuntimeError) as error:
        print(f"rag {args.command}: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a bug: one clear line, the traceback only when asked for
        if args.verbose:
            raise
        print(
            f"rag {args.command}: unexpected error ({type(error).__name__}: {error}); "
            "run again with -v for the traceback",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
