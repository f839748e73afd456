"""``rag index PATH... [--index DIR]``, ``rag index --remove ID``, ``rag search``."""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser("index", help="build or update an index")
    parser.add_argument("paths", nargs="*", help="files or folders to index")
    parser.add_argument("--index", help="index folder (default: indexes/default)")
    parser.add_argument("--remove", nargs="+", metavar="DOC_ID", help="remove articles by id")
    parser.add_argument("--add", action="store_true", help="add to the existing index instead of rebuilding")
    parser.add_argument("--rebuild", action="store_true", help="rebuild from the sources the index knows")
    parser.add_argument("--if-stale", action="store_true", help="do nothing when the index is up to date")
    parser.add_argument("--dry-run", action="store_true", help="list what would be indexed, write nothing")
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
    from rag.index import IndexError_, IndexNotFoundError, build_index, load_index

    index_dir = _index_dir(args)
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
            paths = known_sources(index_dir)
        except IndexError_:  # no readable manifest: fall back to the stored article texts
            paths = recover_articles(index_dir)
    if not paths:
        print("rag index: give PATH... to index (or --rebuild / --remove)", file=sys.stderr)
        return 2
    if args.if_stale:
        return _update_if_stale(index_dir, paths)
    if args.add:
        try:
            index = load_index(index_dir)
        except IndexNotFoundError:  # a damaged index is reported, never replaced by an empty one
            index = build_index([], index_dir)
        report = index.add(paths, progress=True)
        for warning in report.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(
            f"added {len(report.added)} article(s), {len(report.duplicates)} already indexed; "
            f"embedded {report.embedded} sentence(s); index at {index_dir}"
        )
        return 0
    index = build_index(paths, index_dir, progress=True)
    for warning in index.build_warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"indexed {len(index.articles())} article(s), {len(index)} chunk(s) "
        f"(embedded {index.last_embedded} sentences) at {index_dir}"
    )
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


def _update_if_stale(index_dir, paths: list[str]) -> int:  # type: ignore[no-untyped-def]
    """Bring ``paths`` up to date in the index without losing anything else it holds.

    Missing index: build it. Unreadable index (corrupt, other model or format): rebuild
    from every source it recorded plus ``paths``. Otherwise add new or changed articles
    and drop old versions of articles that came from ``paths``.
    """
    from pathlib import Path

    from rag.index import IndexError_, IndexNotFoundError, build_index, load_index
    from rag.index.rebuild import known_sources, recover_articles
    from rag.ingest import load_articles
    from rag.types import Article

    try:
        index = load_index(index_dir)
    except IndexNotFoundError:
        if not recover_articles(index_dir):
            index = build_index(paths, index_dir, progress=True)
            print(f"built index at {index_dir}: {len(index.articles())} article(s), {len(index)} chunk(s)")
            return 0
        error = None
    except IndexError_ as error_:
        error = error_
    else:
        error = None
    if error is not None or not index_dir.joinpath("CURRENT").is_file():
        print(f"rebuilding the index: {error or 'no live snapshot'}", file=sys.stderr)
        # Articles saved in the damaged index come back first (uploads included),
        # then whatever its recorded sources and the given paths hold now.
        sources: list[str | Path | Article]
        try:
            sources = [*recover_articles(index_dir), *known_sources(index_dir)]
        except IndexError_:
            sources = list(recover_articles(index_dir))
        sources += list(paths)
        index = build_index(sources, index_dir, progress=True)
        print(f"rebuilt index at {index_dir}: {len(index.articles())} article(s), {len(index)} chunk(s)")
        return 0
    wanted = load_articles(paths).articles
    indexed = {article.doc_id for article in index.articles()}
    wanted_ids = {article.doc_id for article in wanted}
    reread_files = {_file_of(article.path) for article in wanted}
    roots = [str(Path(path).resolve()) for path in paths]

    def outdated_version(article) -> bool:  # type: ignore[no-untyped-def]
        # An older version of a file we just re-read, or an article whose file under
        # the given paths was deleted; uploads and other sources are left alone.
        if article.doc_id in wanted_ids or not article.path:
            return False
        file = _file_of(article.path)
        deleted_here = not Path(file).exists() and any(file.startswith(root) for root in roots)
        return file in reread_files or deleted_here

    outdated = [article.doc_id for article in index.articles() if outdated_version(article)]
    new = [article for article in wanted if article.doc_id not in indexed]
    if not new and not outdated:
        print(f"index at {index_dir} is up to date ({len(indexed)} articles)")
        return 0
    if outdated:
        index.remove(outdated)
    if new:
        index.add(new)
    print(f"updated index at {index_dir}: +{len(new)} article(s), -{len(outdated)} outdated")
    return 0


def _file_of(path: str | None) -> str:
    """The file an article came from (JSONL paths carry a ``:line`` suffix)."""
    from pathlib import Path

    file = (path or "").rsplit(":", 1)[0] if (path or "").rsplit(":", 1)[-1].isdigit() else (path or "")
    return str(Path(file).resolve())
