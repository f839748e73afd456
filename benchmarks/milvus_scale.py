"""The ``--scale`` options of ``bench_milvus.py``: a synthetic Milvus Lite index of 10^6 chunks.

``build`` writes ``chunks`` synthetic passages (``speed_corpora.synthetic_chunk_batches``: SQuAD
paragraphs of the ~3k index as marked, rotated variants with their real sentence vectors plus
noise; nothing is embedded) into a fresh Milvus Lite file through ``MilvusIndex.write_rows``, the
write path ``rag index --backend milvus`` takes, and records the folder's manifest. ``measure``
loads that folder with ``rag.load_index`` and times ``index.search`` and ``rag.ask`` on the
part-A questions ``bench_query.py`` asks of its 100k local index.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from speed_common import CACHE, Stopwatch, current_rss_mb, milliseconds

DEFAULT_CHUNKS = 1_000_000
#: Set for the build and query children: Arrow's buffers from the C allocator, which hands freed
#: memory back (its default mimalloc pool keeps what Lite's parquet reads freed), and two malloc
#: arenas for Lite's server threads instead of one per thread. 0.3-0.4 GB less at 100k chunks.
CHILD_ENVIRONMENT = {"ARROW_DEFAULT_MEMORY_POOL": "system", "MALLOC_ARENA_MAX": "2"}
#: Articles per ``write_rows`` call (each is one chunk of ~5 sentences): about 30k rows a call.
DEFAULT_BATCH = 5_000
SCALE_PREFIX = "scale"
#: Progress lines every this many chunks.
REPORT_EVERY = 50_000
# What a run needs, fitted to runs here (Milvus Lite 3.2.2, 2026-12-01). Query child (Lite holds
# every segment and its indexes in memory), peak RSS with the compact BM25 scorer
# (``rag.index.milvus.lite``) and CHILD_ENVIRONMENT: 1.57 / 2.32 / 10.8 / 17.9 GB at 60k / 100k /
# 600k / 1M chunks (Lite's own scorer, default allocators: 3.63 GB at 100k, 31 kB a chunk). Build
# child (no BM25 search; its peak is Lite's compaction and index builds, bounded by 200k-row merges,
# above a steady ~13 kB a chunk): 1.34 / 2.32 / 2.86 / 8.7 / 14.4 GB at 20k / 60k / 100k / 600k / 1M.
# Lite data on disk 0.18 / 0.88 / 8.8 GB at 20k / 100k / 1M.
QUERY_RSS_MB = (456, 17.4)  # (fixed, per 1,000 chunks)
BUILD_RSS_MB = (1032, 13.4)
DISK_MB = (0, 8.9)


def needs(chunks: int) -> dict[str, float]:
    """Estimated peak RSS (query and build child) and disk of a ``chunks`` run, in MB."""

    def linear(fit: tuple[float, float]) -> float:
        return round(fit[0] + fit[1] * chunks / 1000)

    return {
        "query_rss_mb": linear(QUERY_RSS_MB),
        "build_rss_mb": linear(BUILD_RSS_MB),
        "disk_mb": linear(DISK_MB),
    }


def shortfalls(chunks: int) -> list[str]:
    """What this machine lacks for a ``chunks`` run (memory available now, free disk under CACHE)."""
    need = needs(chunks)
    available_mb = next(
        int(line.split()[1]) / 1024
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemAvailable:")
    )
    CACHE.mkdir(parents=True, exist_ok=True)
    free_mb = shutil.disk_usage(CACHE).free / 2**20
    problems = []
    memory_mb = max(need["query_rss_mb"], need["build_rss_mb"])
    if memory_mb > available_mb:
        problems.append(f"about {memory_mb / 1024:.1f} GB of memory, {available_mb / 1024:.1f} GB available")
    if need["disk_mb"] > free_mb:
        problems.append(f"about {need['disk_mb'] / 1024:.1f} GB of disk, {free_mb / 1024:.1f} GB free")
    return problems


def scale_dir(chunks: int) -> Path:
    """The index folder (its manifest) of a ``chunks``-chunk run; the Lite data sits beside it."""
    return CACHE / f"milvus-scale-{chunks}"


def lite_file(chunks: int) -> Path:
    return CACHE / f"milvus-scale-{chunks}.db"


def folder_megabytes(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 2**20
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file()) / 2**20


def real_index():  # type: ignore[no-untyped-def]
    import speed_corpora

    from rag.index import load_index
    from rag.index.store import IndexError_

    try:
        return load_index(speed_corpora.REAL_INDEX)
    except IndexError_:  # missing or stale: (re)build it, embedding only what changed
        return speed_corpora.build_real_index()


def build(chunks: int, batch: int) -> dict[str, object]:
    """Write ``chunks`` synthetic chunks into a fresh Milvus Lite index (see the module docstring)."""
    import speed_corpora
    from milvus_lite.server_manager import server_manager_instance

    from rag.index.milvus import MilvusIndex, MilvusSettings

    real = real_index()
    bases = speed_corpora.synthetic_bases(real, widest_marker="(variant 9999)")
    chunk_settings, fusion = real.chunk_settings, real.fusion
    del real
    folder, data = scale_dir(chunks), lite_file(chunks)
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    counts = {"chunks": 0, "sentences": 0, "articles": 0}
    with Stopwatch() as total:
        index = MilvusIndex(
            MilvusSettings(str(data), prefix=SCALE_PREFIX),
            folder,
            chunk_settings=chunk_settings,
            fusion=fusion,
        )
        with index.writing():
            with Stopwatch() as writing:
                started, reported = time.perf_counter(), 0
                for chunked, vectors in speed_corpora.synthetic_chunk_batches(bases, chunks, batch):
                    index.write_rows(chunked, vectors)
                    counts["chunks"] += len(chunked)
                    counts["sentences"] += len(vectors)
                    counts["articles"] += len(chunked)  # each synthetic text fits one articles row
                    if counts["chunks"] - reported >= REPORT_EVERY or counts["chunks"] == chunks:
                        reported, seconds = counts["chunks"], time.perf_counter() - started
                        print(
                            f"milvus-scale: {reported:,} chunks in {seconds:,.0f} s "
                            f"({reported / seconds:,.0f} chunks/s), RSS {current_rss_mb():,.0f} MB",
                            file=sys.stderr,
                            flush=True,
                        )
            index.sources = [f"synthetic:{chunks}"]
            index.version += 1
            with Stopwatch() as saving:
                index.save()  # flushes the three collections, writes manifest.json
        with Stopwatch() as draining:  # Lite compacts and builds indexes in the background: wait
            index.close()
            server_manager_instance.release_server(str(data))
    rows = sum(counts.values())
    return {
        "option": "milvus-scale-build",
        **counts,
        "batch_articles": batch,
        "build_seconds": round(total.seconds, 1),
        "write_seconds": round(writing.seconds, 1),
        "save_seconds": round(saving.seconds, 1),
        "drain_seconds": round(draining.seconds, 1),
        "chunks_per_second": round(counts["chunks"] / total.seconds, 1),
        "rows_per_second": round(rows / total.seconds, 1),
        "disk_mb": round(folder_megabytes(data), 1),
        "folder": str(folder),
    }


def measure(chunks: int, search_count: int, ask_count: int) -> dict[str, object]:
    """``rag.load_index`` of the built folder, then the searches and asks of ``bench_query.py``."""
    import bench_query

    import rag
    from rag.index.milvus import MilvusIndex

    rss_before = current_rss_mb()
    with Stopwatch() as load:
        index = rag.load_index(scale_dir(chunks))
    if not isinstance(index, MilvusIndex):
        raise RuntimeError(f"{scale_dir(chunks)} did not load as a milvus index")
    rss_loaded = current_rss_mb()
    with Stopwatch() as warm:
        index.search("warm up the embedding model", k=5)
    plain = rag.QA(index, reader=None)
    plain.ask("warm up the answerer")
    rag.ask("warm up the answerer", index=index)
    # bench_query's questions and split: searches first, asks after 5 x searches (its filters' share)
    texts = bench_query.questions(5 * search_count + 2 * ask_count, offset=10)
    searches = []
    for text in texts[:search_count]:
        with Stopwatch() as watch:
            index.search(text, k=5)
        searches.append(watch.seconds)
    asked = texts[5 * search_count :]
    plain_seconds, reader_seconds = [], []
    for text in asked[:ask_count]:
        with Stopwatch() as watch:
            plain.ask(text)
        plain_seconds.append(watch.seconds)
    for text in asked[ask_count:]:
        with Stopwatch() as watch:
            rag.ask(text, index=index)
        reader_seconds.append(watch.seconds)
    result = {
        "option": "milvus-scale",
        "chunks": len(index),
        "load_seconds": round(load.seconds, 2),
        "rss_before_load_mb": round(rss_before, 1),
        "rss_after_load_mb": round(rss_loaded, 1),
        "warm_up_seconds": round(warm.seconds, 2),
        "search": milliseconds(searches),
        "ask": milliseconds(plain_seconds),
        "ask_with_reader": milliseconds(reader_seconds),
        "rss_after_queries_mb": round(current_rss_mb(), 1),
    }
    index.close()
    return result
