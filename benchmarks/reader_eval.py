"""Span reader benchmark on SQuAD dev part A.

Measures, in this order (so the memory figure is that of question answering, not of bulk eval):
  1. latency: ``SpanReader.read`` per question on 3 passages (the gold paragraph plus the two best
     BM25-ranked other paragraphs of part A), p50/p90 over ``--latency-questions`` questions, then
     the process's resident memory (current and peak RSS);
  2. closed setting: EM/F1 (official SQuAD normalization) with the gold paragraph given.

    .venv/bin/python benchmarks/reader_eval.py --limit 1000

Needs /work/shared/eval/squad-v1.1-dev-part-a.json (or --eval PATH); says so and exits 2 when missing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from rag.reader import ReaderSettings, SpanReader
from rag.reader.squad import SquadExample, exact_match, f1_score, load_squad

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


def distractors(examples: list[SquadExample], chosen: list[SquadExample]) -> list[list[str]]:
    """For each chosen question: its gold paragraph and the best BM25-ranked other paragraphs."""
    import bm25s
    import Stemmer

    paragraphs = sorted({example.context for example in examples})
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(paragraphs, stemmer=stemmer, show_progress=False), show_progress=False)
    queries = bm25s.tokenize([example.question for example in chosen], stemmer=stemmer, show_progress=False)
    ranked, _ = retriever.retrieve(queries, k=PASSAGES_PER_QUESTION + 1, show_progress=False)
    passage_lists = []
    for row, example in enumerate(chosen):
        others = [paragraphs[int(i)] for i in ranked[row] if paragraphs[int(i)] != example.context]
        passage_lists.append([example.context, *others[: PASSAGES_PER_QUESTION - 1]])
    return passage_lists


def latency(reader: SpanReader, examples: list[SquadExample], questions: int) -> dict[str, float]:
    """Per-question ``read`` latency (ms) on 3 passages, after one warm-up call."""
    chosen = random.Random(SAMPLE_SEED).sample(examples, min(questions, len(examples)))
    passage_lists = distractors(examples, chosen)
    reader.read(chosen[0].question, passage_lists[0])
    timings = []
    for example, passages in zip(chosen, passage_lists, strict=True):
        started = time.perf_counter()
        reader.read(example.question, passages)
        timings.append(1000 * (time.perf_counter() - started))
    timings.sort()
    return {
        "questions": len(timings),
        "passages_per_question": PASSAGES_PER_QUESTION,
        "p50_ms": round(statistics.median(timings), 1),
        "p90_ms": round(timings[int(0.9 * (len(timings) - 1))], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL, help="SQuAD v1.1 part-A JSON")
    parser.add_argument("--model-dir", type=Path, default=None, help="reader weights (default: shipped)")
    parser.add_argument("--limit", type=int, default=0, help="closed setting: N questions sampled with a fixed seed (0: all)")
    parser.add_argument("--latency-questions", type=int, default=100)
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=ReaderSettings().precision)
    parser.add_argument("--max-length", type=int, default=ReaderSettings().max_length)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch default)")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-closed", action="store_true")
    args = parser.parse_args()
    if not args.eval.is_file():
        print(f"part-A evaluation file missing: {args.eval} (pass --eval PATH)", file=sys.stderr)
        return 2
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    examples = load_squad(args.eval)
    reader = SpanReader(args.model_dir, ReaderSettings(precision=args.precision, max_length=args.max_length))
    started = time.perf_counter()
    reader.warm_up()
    result: dict[str, object] = {
        "precision": args.precision,
        "max_length": args.max_length,
        "load_seconds": round(time.perf_counter() - started, 2),
    }
    if not args.skip_latency:
        result["latency"] = latency(reader, examples, args.latency_questions)
        result["memory_after_latency"] = memory_mb()
    if not args.skip_closed:
        subset = random.Random(SAMPLE_SEED).sample(examples, args.limit) if 0 < args.limit < len(examples) else examples
        result["closed"] = closed_setting(reader, subset)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
