"""``rag ingest PATH... [--json]``: show the documents found, to eyeball the cleaning."""

from __future__ import annotations

import json


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser("ingest", help="show the articles found in files/folders")
    parser.add_argument("paths", nargs="+", help="files or folders (.txt .md .html .jsonl)")
    parser.add_argument("--json", action="store_true", help="one JSON object per document")
    parser.set_defaults(run=run)


def run(args) -> int:  # type: ignore[no-untyped-def]
    from rag.index.filters import published_day
    from rag.ingest import load_articles

    result = load_articles(args.paths)
    for article in result.articles:
        if args.json:
            row = article.to_dict()
            if published_day(article) is None:
                row["note"] = "no known publication date: excluded by --since/--until filters"
            print(json.dumps(row, ensure_ascii=False))
        else:
            print(f"[{article.kind}] {article.title}")
            print(f"    id={article.doc_id} source={article.source} published={article.published}")
            print(f"    path={article.path} chars={len(article.text)}")
    return 0
