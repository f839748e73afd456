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
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
    )
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
