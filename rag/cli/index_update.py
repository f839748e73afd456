"""``rag index PATH... --if-stale`` (what ``make run`` and ``make test`` call): bring the given
paths up to date in the index without losing anything else it holds."""

from __future__ import annotations

import sys


def update_if_stale(index_dir, paths: list[str], milvus=None, embedder=None) -> int:  # type: ignore[no-untyped-def]
    """Bring ``paths`` up to date in the index without losing anything else it holds.

    Missing index: build it (on ``milvus`` when given). Unreadable index (corrupt, other model
    or format): rebuild from every source it recorded plus ``paths``. Otherwise add new or
    changed articles and drop old versions of articles that came from ``paths``.
    """
    from pathlib import Path

    from rag.index import IndexError_, IndexNotFoundError, build_index, load_index
    from rag.index.rebuild import known_sources, recover_articles
    from rag.ingest import load_articles
    from rag.types import Article

    try:
        index = load_index(index_dir, embedder=embedder)
    except IndexNotFoundError:
        if not recover_articles(index_dir):
            index = build_index(paths, index_dir, progress=True, milvus=milvus, embedder=embedder)
            print(f"built index at {index_dir}: {len(index.articles())} article(s), {len(index)} chunk(s)")
            return 0
        error = None
    except IndexError_ as error_:
        error = error_
    else:
        error = None
    if error is not None or (index.backend == "local" and not index_dir.joinpath("CURRENT").is_file()):
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
    reread_files = {file_of(article.path) for article in wanted}
    roots = [str(Path(path).resolve()) for path in paths]

    def outdated_version(article) -> bool:  # type: ignore[no-untyped-def]
        # An older version of a file we just re-read, or an article whose file under
        # the given paths was deleted; uploads and other sources are left alone.
        if article.doc_id in wanted_ids or not article.path:
            return False
        file = file_of(article.path)
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


def file_of(path: str | None) -> str:
    """The file an article came from (JSONL paths carry a ``:line`` suffix)."""
    from pathlib import Path

    file = (path or "").rsplit(":", 1)[0] if (path or "").rsplit(":", 1)[-1].isdigit() else (path or "")
    return str(Path(file).resolve())
