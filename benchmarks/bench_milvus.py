"""The milvus backend next to the local one, and distributed embedding with 1 and 2 workers.

Each option runs in a child process of its own (peak RSS is its own):

- ``local`` / ``milvus``: SQuAD part A's 913 paragraphs indexed (the milvus copy gets the local
  index's very vectors, so only storage and ranking differ), then ``index.search`` on
  ``--searches`` questions and ``rag.ask`` on ``--asks`` questions: p50 / p95, build seconds, RSS.
  Milvus is Milvus Lite, embedded in the child (a file under ``benchmarks/.cache``).
- ``embed-here`` / ``embed-1`` / ``embed-2``: ``--sentences`` part-A sentences embedded in this
  process, and by a local Dask cluster of 1 and 2 workers (``rag.embed.distributed``):
  sentences per second, cluster start-up excluded.

Usage::

    .venv/bin/python benchmarks/bench_milvus.py            # writes benchmarks/results/bench_milvus.json
    .venv/bin/python benchmarks/bench_milvus.py --quick    # fewer questions and sentences

Needs the ``milvus`` and ``cluster`` extras and ``../shared/eval`` (SQuAD v1.1, CC BY-SA 4.0).
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", choices=OPTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--asks", type=int, default=100)
    parser.add_argument("--sentences", type=int, default=3000)
    args = parser.parse_args()
    if args.quick:
        args.searches, args.asks, args.sentences = 50, 20, 600
    try:
        if args.one:
            if args.one.startswith("embed"):
                emit(measure_embedding(args.one, args.sentences))
            else:
                emit(measure_backend(args.one, args.searches, args.asks))
            return 0
        require(PART_A)
    except MissingData as error:
        print(f"skipped: {error}", file=sys.stderr)
        return MISSING_EXIT_CODE
    results = []
    for option in OPTIONS:
        arguments = ["--one", option, "--searches", str(args.searches), "--asks", str(args.asks)]
        arguments += ["--sentences", str(args.sentences)]
        results.append(run_child(Path(__file__), arguments, timeout=3600))
        print(results[-1], file=sys.stderr, flush=True)
    path = save_result("bench_milvus", {"machine": machine(), "results": results}, quick=args.quick)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
