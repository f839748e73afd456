"""The milvus backend next to the local one, and distributed embedding with 1 and 2 workers.

Each option runs in a child process of its own (peak RSS is its own):

- ``local`` / ``milvus``: SQuAD part A's 913 paragraphs indexed (the milvus copy gets the local
  index's very vectors, so only storage and ranking differ), then ``index.search`` on
  ``--searches`` questions and ``rag.ask`` on ``--asks`` questions: p50 / p95, build seconds, RSS.
  Milvus is Milvus Lite, embedded in the child (a file under ``benchmarks/.cache``).
- ``embed-here`` / ``embed-1`` / ``embed-2``: ``--sentences`` part-A sentences embedded in this
  process, and by a local Dask cluster of 1 and 2 workers (``rag.embed.distributed``):
  sentences per second, cluster start-up excluded.

``--scale`` (opt-in, hours; ``make bench-scale``) measures instead, each in a child of its own:

- ``local-100k``: ``bench_query.py``'s 100k synthetic local index (``index.search``, ``rag.ask``
  without and with the reader, RSS), for the comparison in the same run;
- ``milvus-scale-build``: ``--scale-chunks`` synthetic chunks (default 1,000,000; the recipe of
  ``speed_corpora.py``: SQuAD paragraphs as rotated, marked variants with their real sentence
  vectors plus noise, so nothing is embedded) written into a fresh Milvus Lite index through
  ``MilvusIndex.write_rows`` in batches of ``--scale-batch`` articles: seconds until the rows are
  flushed and Lite's background compaction and index builds are done, rows per second, disk size,
  peak RSS. Progress goes to stderr;
- ``milvus-scale``: ``rag.load_index`` of that folder (its manifest), then the same measurements
  as ``local-100k`` on the same part-A questions.

Milvus Lite 3.x holds every segment in memory: the run first estimates the memory and disk it
needs (``milvus_scale.needs``: about 18 GB and 9 GB at 10^6 chunks, with the compact BM25
scorer of ``rag.index.milvus.lite``) and stops where they are short, unless ``--force``. The
result file is rewritten after each step.

Usage::

    .venv/bin/python benchmarks/bench_milvus.py            # writes benchmarks/results/bench_milvus.json
    .venv/bin/python benchmarks/bench_milvus.py --quick    # fewer questions and sentences
    .venv/bin/python benchmarks/bench_milvus.py --scale    # writes benchmarks/results/bench_milvus_scale.json
    .venv/bin/python benchmarks/bench_milvus.py --scale --scale-chunks 20000   # a trial (under 100k: .cache)

Needs the ``milvus`` and ``cluster`` extras and ``../shared/eval`` (SQuAD v1.1, CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from speed_common import (
    CACHE,
    MISSING_EXIT_CODE,
    PART_A,
    MissingData,
    Stopwatch,
    emit,
    machine,
    milliseconds,
    require,
    run_child,
    save_result,
)

OPTIONS = ("local", "milvus", "embed-here", "embed-1", "embed-2")
SCALE_OPTIONS = ("milvus-scale-build", "milvus-scale")
#: ``index.search`` and ``rag.ask`` counts: (searches, asks) of a full run, --quick and --scale.
QUESTIONS = {"full": (300, 100), "quick": (50, 20), "scale": (100, 20)}
CHILD_TIMEOUT_SECONDS = 3600
SCALE_BUILD_TIMEOUT_SECONDS = 48 * 3600
#: ``--scale`` runs of fewer chunks are trials: their results go to benchmarks/.cache/results.
TRIAL_BELOW = 100_000
LOCAL_DIR = CACHE / "bench-milvus-local"
LITE_FILE = CACHE / "bench-milvus-lite.db"


def measure_backend(name: str, searches: int, asks: int) -> dict[str, object]:
    import rag
    from rag.eval.retrieval import milvus_copy
    from rag.eval.squad import load_squad, sample_questions

    data = load_squad(require(PART_A))
    with Stopwatch() as built:
        index = rag.build_index(list(data.articles), LOCAL_DIR)
        if name == "milvus":
            index = milvus_copy(index, str(LITE_FILE), prefix="bench")  # type: ignore[arg-type]
    questions = [q.question for q in sample_questions(data.questions, max(searches, asks), seed=1)]
    index.search(questions[0])  # model and caches warm
    search_times = []
    for question in questions[:searches]:
        started = time.perf_counter()
        index.search(question, k=5)
        search_times.append(time.perf_counter() - started)
    qa = rag.QA(index)
    ask_times = []
    for question in questions[:asks]:
        started = time.perf_counter()
        qa.ask(question)
        ask_times.append(time.perf_counter() - started)
    return {
        "option": name,
        "chunks": len(index),
        "build_seconds": round(built.seconds, 1),
        "search": milliseconds(search_times),
        "ask": milliseconds(ask_times),
    }


def measure_embedding(name: str, sentences: int) -> dict[str, object]:
    from rag.chunk import split_sentences
    from rag.embed import get_embedder
    from rag.eval.squad import load_squad

    texts: list[str] = []
    for article in load_squad(require(PART_A)).articles:
        texts += [article.text[span.start : span.end] for span in split_sentences(article.text)]
        if len(texts) >= sentences:
            break
    texts = texts[:sentences]
    embedder = get_embedder()
    if name != "embed-here":
        from rag.embed.distributed import DistributedEmbedder

        embedder = DistributedEmbedder(embedder, workers=int(name.rsplit("-", 1)[1]))
        embedder.start()
        embedder.encode(texts[:8])  # each worker loads its model before the clock starts
    with Stopwatch() as watch:
        embedder.encode(texts)
    if hasattr(embedder, "close"):
        embedder.close()
    return {
        "option": name,
        "sentences": len(texts),
        "sentences_per_second": round(len(texts) / watch.seconds, 1),
    }


def run_scale(args: argparse.Namespace) -> int:
    """``--scale``: the local 100k index, then the Milvus Lite build and queries (module docstring).
    The result file is rewritten after each step, so an interrupted run keeps what it measured."""
    import bench_query
    from milvus_scale import CHILD_ENVIRONMENT, needs, shortfalls

    for name, value in CHILD_ENVIRONMENT.items():  # the children inherit them
        os.environ.setdefault(name, value)

    print(
        f"bench_milvus: {args.scale_chunks:,} chunks need about {needs(args.scale_chunks)}", file=sys.stderr
    )
    if (problems := shortfalls(args.scale_chunks)) and not args.force:
        print(
            f"bench_milvus: not started, it needs {'; '.join(problems)} (--force runs it anyway)",
            file=sys.stderr,
        )
        return 2
    query_script = Path(__file__).with_name("bench_query.py")
    for corpus in ("3k", "100k"):  # the synthetic corpora come from the 3k index
        if not bench_query.usable(corpus):
            print(f"bench_milvus: building the local {corpus} index first ...", file=sys.stderr, flush=True)
            run_child(query_script, ["--build", corpus], timeout=CHILD_TIMEOUT_SECONDS)
    searches, asks, scale = str(args.searches), str(args.asks), ["--scale-chunks", str(args.scale_chunks)]
    local = ["--one", "100k", "--search-questions", searches, "--ask-questions", asks]
    build = ["--one", "milvus-scale-build", *scale, "--scale-batch", str(args.scale_batch)]
    query = ["--one", "milvus-scale", *scale, "--searches", searches, "--asks", asks]
    steps = [
        ("local-100k", query_script, local, CHILD_TIMEOUT_SECONDS),
        ("milvus-scale-build", Path(__file__), build, SCALE_BUILD_TIMEOUT_SECONDS),
        ("milvus-scale", Path(__file__), query, CHILD_TIMEOUT_SECONDS),
    ]
    results: list[dict[str, object]] = []
    for name, script, arguments, timeout in steps:
        print(f"bench_milvus: {name} ...", file=sys.stderr, flush=True)
        results.append(
            run_child(script, arguments, timeout=timeout, show_stderr=name == "milvus-scale-build")
        )
        results[-1]["option"] = name
        print(results[-1], file=sys.stderr, flush=True)
        result = {"machine": machine(), "chunks": args.scale_chunks, "results": results}
        path = save_result("bench_milvus_scale", result, quick=args.scale_chunks < TRIAL_BELOW)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def main() -> int:
    from milvus_scale import DEFAULT_BATCH, DEFAULT_CHUNKS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", choices=OPTIONS + SCALE_OPTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--scale",
        action="store_true",
        help="only the Milvus Lite run at --scale-chunks next to the local 100k index (hours at 10^6)",
    )
    parser.add_argument("--scale-chunks", type=int, default=DEFAULT_CHUNKS)
    parser.add_argument("--scale-batch", type=int, default=DEFAULT_BATCH, help="articles per write")
    parser.add_argument("--force", action="store_true", help="--scale even where memory or disk look short")
    parser.add_argument("--searches", type=int)
    parser.add_argument("--asks", type=int)
    parser.add_argument("--sentences", type=int, default=3000)
    args = parser.parse_args()
    searches, asks = QUESTIONS["scale" if args.scale else "quick" if args.quick else "full"]
    args.searches, args.asks = args.searches or searches, args.asks or asks
    if args.quick:
        args.sentences = 600
    try:
        if args.one in SCALE_OPTIONS:
            import milvus_scale

            if args.one == "milvus-scale-build":
                emit(milvus_scale.build(args.scale_chunks, args.scale_batch))
            else:
                emit(milvus_scale.measure(args.scale_chunks, args.searches, args.asks))
            return 0
        if args.one:
            if args.one.startswith("embed"):
                emit(measure_embedding(args.one, args.sentences))
            else:
                emit(measure_backend(args.one, args.searches, args.asks))
            return 0
        require(PART_A)
        if args.scale:
            return run_scale(args)
    except MissingData as error:
        print(f"skipped: {error}", file=sys.stderr)
        return MISSING_EXIT_CODE
    results = []
    for option in OPTIONS:
        arguments = ["--one", option, "--searches", str(args.searches), "--asks", str(args.asks)]
        arguments += ["--sentences", str(args.sentences)]
        results.append(run_child(Path(__file__), arguments, timeout=CHILD_TIMEOUT_SECONDS))
        print(results[-1], file=sys.stderr, flush=True)
    path = save_result("bench_milvus", {"machine": machine(), "results": results}, quick=args.quick)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
