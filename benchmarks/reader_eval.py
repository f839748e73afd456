"""Span reader benchmark on SQuAD dev part A.

Measures, in this order (so the memory figure is that of question answering, not of bulk eval):
  1. latency: ``SpanReader.read`` per question on 3 passages (the gold paragraph plus the two best
     BM25-ranked other paragraphs of part A), p50/p90 over ``--latency-questions`` questions, then
     the process's resident memory (current and peak RSS) and the reader's growth over a process
     that has already imported torch and transformers (as the product's embedder has);
  2. closed setting: EM/F1 (official SQuAD normalization) with the gold paragraph given;
  3. optionally (--open-questions N) a retrieval-included proxy: the reader's best span over the
     top BM25 paragraphs of the whole part-A corpus.

    .venv/bin/python benchmarks/reader_eval.py --limit 1000

Needs /work/shared/eval/squad-v1.1-dev-part-a.json (or --eval PATH); says so and exits 2 when missing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from rag.reader import ReaderSettings, SpanReader
from rag.reader.reader import default_threads
from rag.reader.squad import exact_match, f1_score
from rag.training.squad import SquadExample, load_squad

DEFAULT_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "squad-v1.1-dev-part-a.json"
PASSAGES_PER_QUESTION = 3
SAMPLE_SEED = 13


def memory_mb() -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of this process, in MB."""
    figures = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            figures[key] = int(value.split()[0]) / 1024
    return {"rss_mb": round(figures.get("VmRSS", 0.0), 1), "peak_rss_mb": round(figures.get("VmHWM", 0.0), 1)}


def closed_setting(reader: SpanReader, examples: list[SquadExample]) -> dict[str, float]:
    """EM/F1 (percent) with each question's gold paragraph as the only passage."""
    exact, f1 = 0.0, 0.0
    started = time.perf_counter()
    for example in examples:
        candidates = reader.read(example.question, [example.context])
        prediction = candidates[0].text if candidates else ""
        exact += exact_match(prediction, example.answers)
        f1 += f1_score(prediction, example.answers)
    return {
        "questions": len(examples),
        "exact_match": round(100 * exact / len(examples), 2),
        "f1": round(100 * f1 / len(examples), 2),
        "seconds": round(time.perf_counter() - started, 1),
    }


def bm25_ranked(examples: list[SquadExample], chosen: list[SquadExample], k: int) -> list[list[str]]:
    """For each chosen question, the ``k`` best BM25-ranked paragraphs of the whole part-A corpus."""
    import bm25s
    import Stemmer

    paragraphs = sorted({example.context for example in examples})
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(paragraphs, stemmer=stemmer, show_progress=False), show_progress=False)
    queries = bm25s.tokenize([example.question for example in chosen], stemmer=stemmer, show_progress=False)
    ranked, _ = retriever.retrieve(queries, k=k, show_progress=False)
    return [[paragraphs[int(i)] for i in row] for row in ranked]


def distractors(examples: list[SquadExample], chosen: list[SquadExample]) -> list[list[str]]:
    """For each chosen question: its gold paragraph and the best BM25-ranked other paragraphs."""
    passage_lists = []
    for example, ranked in zip(chosen, bm25_ranked(examples, chosen, PASSAGES_PER_QUESTION + 1), strict=True):
        others = [paragraph for paragraph in ranked if paragraph != example.context]
        passage_lists.append([example.context, *others[: PASSAGES_PER_QUESTION - 1]])
    return passage_lists


def open_bm25(
    reader: SpanReader, examples: list[SquadExample], chosen: list[SquadExample], k: int
) -> dict[str, float]:
    """A retrieval-included proxy: read the top-``k`` BM25 paragraphs, answer with the best span.

    Reports the best span picked by raw span score and by margin over the no-answer score
    (not the product's ``rag.ask``, which uses its own hybrid retriever and ranking).
    """
    by_score = {"exact_match": 0.0, "f1": 0.0}
    by_margin = {"exact_match": 0.0, "f1": 0.0}
    for example, passages in zip(chosen, bm25_ranked(examples, chosen, k), strict=True):
        candidates = reader.read(example.question, passages)
        if not candidates:
            continue
        for totals, best in ((by_score, candidates[0]), (by_margin, max(candidates, key=lambda c: c.margin))):
            totals["exact_match"] += exact_match(best.text, example.answers)
            totals["f1"] += f1_score(best.text, example.answers)
    scale = 100 / len(chosen)
    return {
        "questions": len(chosen),
        "passages": k,
        "by_score": {key: round(value * scale, 2) for key, value in by_score.items()},
        "by_margin": {key: round(value * scale, 2) for key, value in by_margin.items()},
    }


def latency(
    reader: SpanReader, chosen: list[SquadExample], passage_lists: list[list[str]]
) -> dict[str, float]:
    """Per-question ``read`` latency (ms) on 3 passages, after one warm-up call.

    Wall-clock figures depend on what else runs on the machine; CPU time (this process) less so.
    """
    reader.read(chosen[0].question, passage_lists[0])
    wall, cpu = [], []
    for example, passages in zip(chosen, passage_lists, strict=True):
        started, started_cpu = time.perf_counter(), time.process_time()
        reader.read(example.question, passages)
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
    wall.sort()
    return {
        "questions": len(wall),
        "passages_per_question": PASSAGES_PER_QUESTION,
        "p50_ms": round(statistics.median(wall), 1),
        "p90_ms": round(wall[int(0.9 * (len(wall) - 1))], 1),
        "p50_cpu_ms": round(statistics.median(cpu), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="SQuAD v1.1 part-A JSON")
    parser.add_argument("--model-dir", type=Path, default=None, help="reader weights (default: shipped)")
    parser.add_argument(
        "--limit", type=int, default=0, help="closed setting: N questions sampled with a fixed seed (0: all)"
    )
    parser.add_argument("--latency-questions", type=int, default=100)
    parser.add_argument("--max-length", type=int, default=ReaderSettings().max_length)
    parser.add_argument("--stride", type=int, default=ReaderSettings().stride)
    parser.add_argument("--threads", type=int, default=default_threads(), help="ONNX Runtime threads")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-closed", action="store_true")
    parser.add_argument(
        "--open-questions",
        type=int,
        default=0,
        help="also read the top --open-passages BM25 paragraphs for N sampled questions",
    )
    parser.add_argument("--open-passages", type=int, default=5)
    args = parser.parse_args()
    if not args.eval.is_file():
        print(f"part-A evaluation file missing: {args.eval} (pass --eval PATH)", file=sys.stderr)
        return 2
    examples = load_squad(args.eval)
    chosen = random.Random(SAMPLE_SEED).sample(examples, min(args.latency_questions, len(examples)))
    passage_lists = distractors(examples, chosen)
    # The product's embedder already imports onnxruntime and tokenizers, so the reader's own cost
    # is the growth from here.
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401

    memory_before = memory_mb()
    reader = SpanReader(
        args.model_dir, ReaderSettings(max_length=args.max_length, stride=args.stride), threads=args.threads
    )
    started = time.perf_counter()
    reader.warm_up()
    result: dict[str, object] = {
        "max_length": args.max_length,
        "stride": args.stride,
        "threads": args.threads,
        "load_average_at_start": [round(value, 1) for value in os.getloadavg()],
        "load_seconds": round(time.perf_counter() - started, 2),
        "memory_before_load": memory_before,
        "memory_after_load": memory_mb(),
    }
    if not args.skip_latency:
        result["latency"] = latency(reader, chosen, passage_lists)
        result["memory_after_latency"] = memory_mb()
        result["reader_rss_growth_mb"] = round(
            result["memory_after_latency"]["rss_mb"] - memory_before["rss_mb"],
            1,  # type: ignore[index]
        )
        result["load_average_after_latency"] = [round(value, 1) for value in os.getloadavg()]
    if not args.skip_closed:
        subset = (
            random.Random(SAMPLE_SEED).sample(examples, args.limit)
            if 0 < args.limit < len(examples)
            else examples
        )
        result["closed"] = closed_setting(reader, subset)
    if args.open_questions:
        sample = random.Random(SAMPLE_SEED).sample(examples, min(args.open_questions, len(examples)))
        result["open_bm25"] = open_bm25(reader, examples, sample, args.open_passages)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
