"""Latency of ``QA.ask`` on a persisted index: warm sentence cache, then cold.

Usage::

    .venv/bin/python benchmarks/answers_latency.py benchmarks/.cache/speed-synthetic-100000 --questions 200

Questions are sampled from SQuAD dev part A (``../shared/eval``); on an index of other texts
the answers are meaningless but the work per question is real. The first 20 asks warm up
(model load) and are not counted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.eval.answers import percentile  # noqa: E402
from rag.eval.squad import load_squad  # noqa: E402
from rag.index import load_index  # noqa: E402
from rag.qa import QA  # noqa: E402

EVAL_FILE = ROOT.parent / "shared" / "eval" / "squad-v1.1-dev-part-a.json"
WARM_UP = 20


def timed(qa: QA, questions: list[str], cold: bool) -> list[float]:
    times = []
    for question in questions:
        if cold:
            qa._vectors = None  # a fresh sentence-vector cache for every question
        started = time.perf_counter()
        qa.ask(question)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--eval", type=Path, default=EVAL_FILE)
    args = parser.parse_args()
    if not args.eval.is_file():
        print(f"missing {args.eval}: questions come from ../shared/eval (SQuAD v1.1)", file=sys.stderr)
        return 2
    index = load_index(args.index)
    pool = [question.question for question in load_squad(args.eval).questions]
    questions = random.Random(1).sample(pool, args.questions + WARM_UP)
    qa = QA(index)
    timed(qa, questions[:WARM_UP], cold=False)
    for label, cold in (("warm cache", False), ("cold cache", True)):
        times = timed(qa, questions[WARM_UP:], cold)
        print(
            f"{len(index)} chunks, {len(times)} questions, {label}: p50 {percentile(times, 0.5):.1f} ms, p95 {percentile(times, 0.95):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
