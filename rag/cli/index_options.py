"""The storage and embedding options of ``rag index``: ``--backend``, ``--milvus-uri``,
``--workers`` and ``--cluster`` (see README.md, "Scaling out")."""

from __future__ import annotations

import argparse
from typing import Any


def add_backend_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the backend and distributed-embedding options to ``parser``."""
    parser.add_argument(
        "--backend",
        choices=("local", "milvus"),
        help="where a new index lives: local files (default) or Milvus; an existing index "
        "folder remembers its own",
    )
    parser.add_argument(
        "--milvus-uri",
        metavar="URI",
        help="with --backend milvus: a Milvus Lite file (./news.db, embedded) or a server "
        "(http://host:19530; token from $MILVUS_TOKEN)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="embed with N worker processes of a local Dask cluster on 127.0.0.1",
    )
    parser.add_argument(
        "--cluster", metavar="ADDRESS", help="embed on an existing Dask cluster (tcp://host:8786)"
    )


def backend_options(args: argparse.Namespace) -> dict[str, Any]:
    """``build_index`` keyword arguments for the parsed options: ``milvus`` (settings or None)
    and ``embedder`` (a distributed one, or None for this process's).

    Raises:
        SystemExit: ``--backend milvus`` without ``--milvus-uri``, or a bad ``--workers``.
    """
    from rag.embed import get_embedder
    from rag.index.milvus import MilvusSettings

    backend = args.backend or ("milvus" if args.milvus_uri else None)
    if backend == "milvus" and not args.milvus_uri:
        raise SystemExit("rag index: --backend milvus needs --milvus-uri (./news.db or http://host:19530)")
    if backend == "local" and args.milvus_uri:
        raise SystemExit("rag index: --milvus-uri goes with --backend milvus")
    milvus = MilvusSettings(args.milvus_uri) if backend == "milvus" else None
    embedder = None
    if args.workers is not None or args.cluster:
        from rag.embed.distributed import DistributedEmbedder

        if args.workers is not None and args.workers < 1:
            raise SystemExit(f"rag index: --workers must be >= 1, got {args.workers}")
        embedder = DistributedEmbedder(get_embedder(), workers=args.workers or 2, cluster=args.cluster)
    return {"milvus": milvus, "embedder": embedder}
