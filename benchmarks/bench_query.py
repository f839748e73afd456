"""Query latency and memory at three corpus sizes, next to one bare question embedding.

Corpora (see ``speed_corpora.py``): ``seeds``, ``3k`` real SQuAD paragraphs, ``100k``
synthetic passages. For each, in a child process of its own: ``rag.load_index`` time and
RSS, then ``index.search``, ``QA(reader=None).ask`` and ``rag.ask`` (with the span reader) p50/p95 over distinct SQuAD part-A
questions (each question asked once, so no cache helps), and peak RSS.

The reference, in another child of the same run: one question embedded by bare
sentence-transformers (``model.encode([question])``, torch float32), and by our default
embedder, alternating question by question.

Usage::

    .venv/bin/python benchmarks/bench_query.py             # all three corpora
    .venv/bin/python benchmarks/bench_query.py --quick     # fewer questions
    .venv/bin/python benchmarks/bench_query.py --corpora seeds 3k
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from speed_common import (
    MISSING_EXIT_CODE,
    PART_A,
    MissingData,
    Stopwatch,
    current_rss_mb,
    emit,
    machine,
    milliseconds,
    require,
    run_child,
    save_result,
)

CORPORA = ("seeds", "3k", "100k")
REFERENCE = "bare-question"
SEARCH_QUESTIONS = 200
ASK_QUESTIONS = 100
QUICK_SEARCH_QUESTIONS = 50
QUICK_ASK_QUESTIONS = 30
CHILD_TIMEOUT_SECONDS = 1800


def questions(count: int, offset: int = 0) -> list[str]:
    """``count`` distinct part-A questions, a fixed sample; ``offset`` skips the first ones."""
    from rag.eval.squad import load_squad, sample_questions

    texts = list(dict.fromkeys(q.question for q in sample_questions(load_squad(require(PART_A)).questions)))
    import random

    random.Random(1).shuffle(texts)
    return texts[offset : offset + count]


def measure_reference(count: int) -> dict[str, object]:
    """One question at a time: bare sentence-transformers (its default threads, and one
    thread, which suffers less when other processes share the cores) vs our default
    embedder, interleaved question by question so load changes hit all three alike."""
    from rag.embed import get_embedder
    from rag.embed.base import model_path, offline

    offline()
    import torch
    from sentence_transformers import SentenceTransformer

    default_threads = torch.get_num_threads()
    bare = SentenceTransformer(str(model_path()), device="cpu")
    ours = get_embedder()
    texts = questions(count + 5)
    for text in texts[:5]:  # warm both
        bare.encode([text])
        ours.encode([text])
    seconds: dict[str, list[float]] = {"bare": [], "bare_one_thread": [], "ours": []}
    for text in texts[5:]:
        for name in seconds:
            torch.set_num_threads(1 if name == "bare_one_thread" else default_threads)
            with Stopwatch() as watch:
                (ours if name == "ours" else bare).encode([text])
            seconds[name].append(watch.seconds)
    return {
        "option": REFERENCE,
        "torch_threads": default_threads,
        "bare": milliseconds(seconds["bare"]),
        "bare_one_thread": milliseconds(seconds["bare_one_thread"]),
        "ours": {"backend": ours.backend, **milliseconds(seconds["ours"])},
    }


def build(corpus: str) -> dict[str, object]:
    import speed_corpora

    builders = {
        "seeds": speed_corpora.build_seed_index,
        "3k": speed_corpora.build_real_index,
        "100k": speed_corpora.build_synthetic_index,
    }
    with Stopwatch() as watch:
        index = builders[corpus]()
    return {
        "option": f"build-{corpus}",
        "seconds": round(watch.seconds, 1),
        "chunks": len(index),
        "embedded": index.last_embedded,
    }


def index_dir(corpus: str) -> Path:
    import speed_corpora

    return {
        "seeds": speed_corpora.SEEDS_INDEX,
        "3k": speed_corpora.REAL_INDEX,
        "100k": speed_corpora.synthetic_index_dir(speed_corpora.SYNTHETIC_SIZE),
    }[corpus]


def usable(corpus: str) -> bool:
    """The cached index was written in this code's format (its manifest says so; cheap)."""
    from rag.index import store
    from rag.index.chunkfile import CHUNKS_FILE

    try:
        snapshot = store.snapshot_path(index_dir(corpus))
        manifest = store.read_json(snapshot / "manifest.json")
    except (store.IndexError_, OSError, ValueError):
        return False
    return (
        manifest.get("format_version") == store.FORMAT_VERSION
        and manifest.get("counts", {}).get("chunks", 0) > 0
        and (snapshot / CHUNKS_FILE).is_file()  # the chunk table layout this code writes
    )


def measure_corpus(corpus: str, search_count: int, ask_count: int) -> dict[str, object]:
    import rag

    rss_before = current_rss_mb()
    with Stopwatch() as load:
        index = rag.load_index(index_dir(corpus))
    rss_loaded = current_rss_mb()
    with Stopwatch() as warm:
        index.search("warm up the embedding model", k=5)
    ask_error = None
    try:
        plain = rag.QA(index, reader=None)  # the sentence-level answerer (the "no reader" target)
        plain.ask("warm up the answerer")
        rag.ask("warm up the answerer", index=index)  # the default: with the shipped span reader
    except Exception as error:  # report, keep the search figures
        ask_error = f"{type(error).__name__}: {error}"
    texts = questions(5 * search_count + 2 * ask_count, offset=10)
    articles = index.articles()
    # every article passes (the FAISS over-fetch path), half of them, a tenth (the exact path)
    filters: dict[str, rag.Filter | None] = {
        "none": None,
        "all": rag.Filter(kinds=("article", "teaser")),
        "half": rag.Filter(doc_ids=tuple(article.doc_id for article in articles[::2])),
        "tenth": rag.Filter(doc_ids=tuple(article.doc_id for article in articles[::10])),
    }
    for chosen in filters.values():
        index.search("warm up the filter", k=5, filters=chosen)  # the chunk mask, once per filter
    timed: dict[str, list[float]] = {name: [] for name in filters}
    # interleaved, so load changes hit every variant alike; each variant its own questions, so
    # none reuses another's cached question vector (every search embeds its question)
    for number in range(search_count):
        for variant, (name, chosen) in enumerate(filters.items()):
            with Stopwatch() as watch:
                index.search(texts[variant * search_count + number], k=5, filters=chosen)
            timed[name].append(watch.seconds)
    search_seconds = timed.pop("none")
    filtered_seconds = timed
    ask_seconds: list[float] = []
    reader_seconds: list[float] = []
    asked = texts[5 * search_count :]
    for text in asked[:ask_count] if ask_error is None else []:
        with Stopwatch() as watch:
            plain.ask(text)
        ask_seconds.append(watch.seconds)
    for text in asked[ask_count:] if ask_error is None else []:  # other questions: no cache shared
        with Stopwatch() as watch:
            rag.ask(text, index=index)
        reader_seconds.append(watch.seconds)
    return {
        "option": corpus,
        "chunks": len(index),
        "dense_kind": index.dense.kind,
        "load_seconds": round(load.seconds, 2),
        "rss_before_load_mb": round(rss_before, 1),
        "rss_after_load_mb": round(rss_loaded, 1),
        "warm_up_seconds": round(warm.seconds, 2),
        "search": milliseconds(search_seconds),
        "search_filtered": {name: milliseconds(seconds) for name, seconds in filtered_seconds.items()},
        "ask": milliseconds(ask_seconds) if ask_seconds else {"error": ask_error},
        "ask_with_reader": milliseconds(reader_seconds) if reader_seconds else {"error": ask_error},
        "rss_after_queries_mb": round(current_rss_mb(), 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer questions")
    parser.add_argument("--corpora", nargs="+", choices=CORPORA, default=list(CORPORA))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached 100k index")
    parser.add_argument("--search-questions", type=int)
    parser.add_argument("--ask-questions", type=int)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child: measure one corpus or the reference
    parser.add_argument("--build", help=argparse.SUPPRESS)  # child: build one corpus
    args = parser.parse_args(argv)
    search_count = args.search_questions or (QUICK_SEARCH_QUESTIONS if args.quick else SEARCH_QUESTIONS)
    ask_count = args.ask_questions or (QUICK_ASK_QUESTIONS if args.quick else ASK_QUESTIONS)
    try:
        require(PART_A)
        if args.build:
            emit(build(args.build))
        elif args.one == REFERENCE:
            emit(measure_reference(search_count))
        elif args.one:
            emit(measure_corpus(args.one, search_count, ask_count))
        else:
            return run(args, search_count, ask_count)
    except MissingData as error:
        print(f"bench_query skipped: {error}", file=sys.stderr)
        return MISSING_EXIT_CODE
    return 0


def run(args: argparse.Namespace, search_count: int, ask_count: int) -> int:
    script = Path(__file__)
    counts = ["--search-questions", str(search_count), "--ask-questions", str(ask_count)]
    builds = []
    needed = set(args.corpora) | ({"3k"} if "100k" in args.corpora else set())
    for corpus in [c for c in CORPORA if c in needed]:
        if corpus == "100k" and not args.rebuild and usable(corpus):
            continue
        print(f"bench_query: building {corpus} ...", file=sys.stderr, flush=True)
        builds.append(run_child(script, ["--build", corpus], CHILD_TIMEOUT_SECONDS))
        print(f"  {json.dumps(builds[-1])}", file=sys.stderr, flush=True)
    rows = []
    for option in [REFERENCE, *args.corpora]:
        print(f"bench_query: {option} ...", file=sys.stderr, flush=True)
        rows.append(run_child(script, ["--one", option, *counts], CHILD_TIMEOUT_SECONDS))
        print(f"  {json.dumps(rows[-1])}", file=sys.stderr, flush=True)
    result = {"benchmark": "query", "machine": machine(), "builds": builds, "rows": rows}
    print(f"wrote {save_result('query', result, quick=args.quick)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
