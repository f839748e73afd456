"""``rag serve [--host 127.0.0.1] [--port 7860] [--index DIR] [--auth USER:PASS]
[--feed URL [--every 30m]]``: the web chat.

``$RAG_HOST`` and ``$RAG_PORT`` set the defaults of ``--host`` and ``--port``. The server binds
loopback unless told otherwise. A missing index is built from ``seeds/`` first. With ``--feed``
the feeds are polled at start and then every ``--every``, their new stories added while it
serves (the article list follows).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
MAX_PORT = 65535
WARM_UP_QUESTION = "What happened?"


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser(
        "serve",
        help="serve the web chat (and its /ask API)",
        description="Serve the web chat on http://HOST:PORT. Programs can call its /ask endpoint "
        "with gradio_client.",
    )
    parser.add_argument("--host", help=f"address to bind (default: $RAG_HOST or {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, help=f"port (default: $RAG_PORT or {DEFAULT_PORT})")
    parser.add_argument("--index", help="index folder (default: $RAG_INDEX_DIR or indexes/default)")
    parser.add_argument(
        "--auth", metavar="USER:PASS", help="require this login (use it when not on loopback)"
    )
    parser.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL",
        help="watch this RSS/Atom feed: add its new stories while serving (repeatable)",
    )
    parser.add_argument("--every", metavar="DURATION", help="with --feed: time between polls (default 30m)")
    parser.add_argument(
        "--share",
        action="store_true",
        help="not supported: public share links need the network; bind --host and use your own proxy",
    )
    parser.set_defaults(run=run)


def parse_port(value: str | int | None) -> int:
    """The port from ``--port``/``$RAG_PORT``, checked; ``DEFAULT_PORT`` when unset."""
    if value is None or value == "":
        return DEFAULT_PORT
    try:
        port = int(value)
    except ValueError:
        raise ValueError(f"port must be a whole number, got {value!r}") from None
    if not 1 <= port <= MAX_PORT:
        raise ValueError(f"port must be between 1 and {MAX_PORT}, got {port}")
    return port


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``user:pass`` -> ``("user", "pass")``; the password may contain ``:``."""
    if value is None:
        return None
    user, separator, password = value.partition(":")
    if not separator or not user or not password:
        raise ValueError(f"--auth must look like USER:PASS, got {value!r}")
    return user, password


def resolve_address(host: str | None, port: int | None, environ: Mapping[str, str]) -> tuple[str, int]:
    """``(host, port)``: the flags first, then ``$RAG_HOST``/``$RAG_PORT``, then loopback:7860."""
    resolved_host = host or environ.get("RAG_HOST") or DEFAULT_HOST
    return resolved_host, parse_port(port if port is not None else environ.get("RAG_PORT"))


def open_index(index_dir: Path):  # type: ignore[no-untyped-def]
    """Load the index at ``index_dir``, building it from ``seeds/`` when there is none."""
    from rag.config import seeds_dir
    from rag.index import IndexNotFoundError, build_index, load_index

    try:
        return load_index(index_dir)
    except IndexNotFoundError:
        print(f"no index at {index_dir}; building it from {seeds_dir()} ...", file=sys.stderr)
        seeds = seeds_dir()  # none (a trimmed install): an empty index to add to
        return build_index([seeds] if seeds.exists() else [], index_dir, progress=True)


def _warm_up(index) -> None:  # type: ignore[no-untyped-def]
    """Answer one question in the background: the model loads before a person asks."""
    from rag.qa import ask

    try:
        ask(WARM_UP_QUESTION, index=index)
    except Exception as error:  # the first question will report it properly
        print(f"warning: warming up the answerer failed: {error}", file=sys.stderr)


def _watch(index, feeds: list[str], seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Poll ``feeds`` into ``index`` now and every ``seconds``, in the background; say what came."""
    from rag.index.from_web import FeedWatcher, WebReport

    def show(report: WebReport) -> None:
        for problem in report.problems:
            print(f"{'error' if report.failed else 'warning'}: {problem}", file=sys.stderr)
        if report.added:
            titles = ", ".join(article.title for article in report.added)
            print(f"{report.summary()}: {titles}", file=sys.stderr)

    FeedWatcher(index, feeds, seconds, on_report=show).start()
    every = f"{seconds:g} s" if seconds < 60 else f"{seconds / 60:g} min"
    print(f"watching {len(feeds)} feed(s), every {every}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    if args.share:
        print(
            "rag serve: --share is not supported (no public links); bind --host and use a proxy",
            file=sys.stderr,
        )
        return 2
    from rag.config import default_index_dir
    from rag.index.from_web import DEFAULT_POLL_SECONDS, parse_interval

    if args.every and not args.feed:
        print("rag serve: --every needs --feed URL", file=sys.stderr)
        return 2
    poll_seconds = parse_interval(args.every) if args.every else DEFAULT_POLL_SECONDS
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    host, port = resolve_address(args.host, args.port, os.environ)
    auth = parse_auth(args.auth)
    index = open_index(Path(args.index) if args.index else default_index_dir())
    if host not in LOOPBACK_HOSTS and auth is None:
        print(
            f"warning: serving on {host} without --auth; anyone who can reach it can change the index "
            "and make it fetch web addresses",
            file=sys.stderr,
        )

    from rag.ui.app import build_app
    from rag.ui.launch import launch

    threading.Thread(target=_warm_up, args=(index,), daemon=True, name="warm-up").start()
    if args.feed:
        _watch(index, args.feed, poll_seconds)
    app = build_app(index, live=bool(args.feed))
    print(
        f"serving {len(index.articles())} documents from {index.index_dir} on http://{host}:{port}",
        file=sys.stderr,
    )
    launch(app, host=host, port=port, auth=auth)
    return 0
