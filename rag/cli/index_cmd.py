"""``rag index PATH|URL... [--index DIR]``, ``rag index --feed URL [--every 30m]``,
``rag index --remove ID``, ``rag search``.

Web addresses (pages, PDFs, feeds) are the only network use, and only when given here.
"""

from __future__ import annotations

import json
import sys

from rag.cli.index_options import add_backend_arguments, backend_options


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser("index", help="build or update an index")
    parser.add_argument(
        "paths",
        nargs="*",
        help="files or folders to index, or http(s) addresses of pages or PDFs to fetch and add",
    )
    parser.add_argument("--index", help="index folder (default: indexes/default)")
    parser.add_argument("--remove", nargs="+", metavar="DOC_ID", help="remove articles by id")
    parser.add_argument("--add", action="store_true", help="add to the existing index instead of rebuilding")
    parser.add_argument("--rebuild", action="store_true", help="rebuild from the sources the index knows")
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")
    parser.add_argument("--dry-run", action="store_true", help="list what would be indexed, write nothing")
    parser.add_argument(
        "--feed",
        action="append",
        default=[],
        metavar="URL",
        help="add the new stories of this RSS/Atom feed (repeatable)",
    )
    parser.add_argument(
        "--every",
        metavar="DURATION",
        help="with --feed: keep polling, e.g. every 30m, 2h (stop with Ctrl-C)",
    )
    add_backend_arguments(parser)
    parser.set_defaults(run=run_index)

    search = subparsers.add_parser("search", help="show the passages retrieved for a question")
    search.add_argument("question")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--index", help="index folder (default: indexes/default)")
    search.add_argument("--json", action="store_true")
    search.set_defaults(run=run_search)


def _index_dir(args):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from rag.config import default_index_dir

    return Path(args.index) if args.index else default_index_dir()


def run_index(args) -> int:  # type: ignore[no-untyped-def]
    from rag.index import IndexError_, build_index, load_index
    from rag.ingest import is_web_address

    index_dir = _index_dir(args)
    if args.every and not args.feed:
        print("rag index: --every needs --feed URL", file=sys.stderr)
        return 2
    if args.feed:
        if args.paths or args.remove or args.rebuild or args.if_stale or args.dry_run:
            print("rag index: give either --feed URL or PATH... / --remove / --rebuild", file=sys.stderr)
            return 2
        return _run_feeds(index_dir, args.feed, args.every)
    urls = [path for path in args.paths if is_web_address(path)]
    if urls:
        args.paths = [path for path in args.paths if not is_web_address(path)]
        if not args.dry_run:
            return _add_urls(index_dir, urls, args.paths)
        for url in urls:
            print(f"would fetch {url}")
        if not args.paths:
            return 0
    if args.dry_run:
        from rag.cli.ingest_cmd import run as show

        args.paths = args.paths or []
        args.json = False
        return show(args)
    if args.remove:
        index = load_index(index_dir)
        removed = index.remove(args.remove)
        missing = sorted(set(args.remove) - set(removed))
        print(f"removed {len(removed)} article(s) from {index_dir}")
        if missing:
            print(f"not in the index: {', '.join(missing)}", file=sys.stderr)
        return 0 if removed else 1
    paths = list(args.paths)
    if args.rebuild and not paths:
        from rag.index.rebuild import known_sources, recover_articles

        try:
            # Fetched pages have no file to read again: their stored texts come back as they are.
            fetched = [article for article in recover_articles(index_dir) if article.url and not article.path]
            paths = [*known_sources(index_dir), *fetched]
        except IndexError_:  # no readable manifest: fall back to the stored article texts
            paths = recover_articles(index_dir)
    if not paths:
        print("rag index: give PATH... to index (or --rebuild / --remove)", file=sys.stderr)
        return 2
    if args.if_stale:
        from rag.cli.index_update import update_if_stale

        return update_if_stale(index_dir, paths, **backend_options(args))
    options = backend_options(args)
    if args.add:
        index = _open_for_adding(index_dir, **options)
        report = index.add(paths, progress=True)
        print(
            f"added {len(report.added)} article(s), {len(report.duplicates)} already indexed; "
            f"embedded {report.embedded} sentence(s); index at {index_dir}"
        )
        return 0
    try:
        index = build_index(paths, index_dir, progress=True, **options)
    finally:
        if options["embedder"] is not None:
            options["embedder"].close()
    print(
        f"indexed {len(index.articles())} article(s), {len(index)} chunk(s) "
        f"(embedded {index.last_embedded} sentences) at {index_dir}"
    )
    return 0


def _open_for_adding(index_dir, milvus=None, embedder=None):  # type: ignore[no-untyped-def]
    """The index to add to; an empty one (on ``milvus`` when given) when there is none (a
    damaged one is an error)."""
    from rag.index import IndexNotFoundError, build_index, load_index

    try:
        return load_index(index_dir, embedder=embedder)
    except IndexNotFoundError:  # a damaged index is reported, never replaced by an empty one
        return build_index([], index_dir, milvus=milvus, embedder=embedder)


def _add_urls(index_dir, urls: list[str], paths: list[str]) -> int:  # type: ignore[no-untyped-def]
    """Fetch ``urls`` and add them, with any files in ``paths``, in one snapshot.

    Each address that fails is one ``error:`` line; nothing indexed changes because of it.
    Exit status 1 when any address failed.
    """
    from rag.index.from_web import indexed_urls
    from rag.ingest.web import fetch_pages

    index = _open_for_adding(index_dir)
    pages = fetch_pages(urls, indexed_urls(index))
    for problem in pages.problems:
        print(f"error: {problem}", file=sys.stderr)
    for url in pages.known:
        print(f"{url}: already indexed")
    if pages.articles or paths:
        report = index.add([*paths, *pages.articles], progress=True)
        added, duplicates, embedded = len(report.added), len(report.duplicates), report.embedded
    else:
        added, duplicates, embedded = 0, 0, 0
    print(
        f"added {added} article(s), {duplicates + len(pages.known)} already indexed; "
        f"embedded {embedded} sentence(s); index at {index_dir}"
    )
    return 1 if pages.problems else 0


def _run_feeds(index_dir, feeds: list[str], every: str | None) -> int:  # type: ignore[no-untyped-def]
    """Poll ``feeds`` once (exit 1 when one could not be read), or every ``every`` until Ctrl-C."""
    from datetime import datetime

    from rag.index.from_web import DEFAULT_POLL_SECONDS, FeedWatcher, WebReport, parse_interval

    seconds = parse_interval(every) if every else None
    index = _open_for_adding(index_dir)

    def show(report: WebReport) -> None:
        stamp = f"[{datetime.now():%Y-%m-%d %H:%M:%S}] " if seconds else ""
        for problem in report.problems:
            print(f"{stamp}{'error' if report.failed else 'warning'}: {problem}", file=sys.stderr)
        if not report.failed:
            titles = "".join(f"\n  + {article.title}" for article in report.added)
            print(f"{stamp}{report.summary()}; index at {index_dir}{titles}", flush=True)

    watcher = FeedWatcher(index, feeds, seconds or DEFAULT_POLL_SECONDS, on_report=show)
    if seconds is None:
        reports = watcher.poll_once()
        return 1 if any(report.failed for report in reports) else 0
    print(f"polling {len(feeds)} feed(s) every {every}; stop with Ctrl-C", file=sys.stderr)
    watcher.run()
    return 0


def run_search(args) -> int:  # type: ignore[no-untyped-def]
    from rag.index import load_index

    index = load_index(_index_dir(args))
    hits = index.search(args.question, k=args.k)
    if args.json:
        print(json.dumps([hit.to_dict() for hit in hits], ensure_ascii=False))
        return 0
    for rank, hit in enumerate(hits, start=1):
        print(
            f"{rank}. {hit.score:+.3f} (dense {hit.dense_score:.3f}, bm25 {hit.bm25_score:.2f}) {hit.title}"
        )
        print(f"   {hit.text[:300]}")
    return 0
