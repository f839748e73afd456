"""Indexing throughput: ``rag.build_index`` per embedding backend vs bare sentence-transformers.

The corpus is SQuAD dev part A (913 paragraphs, one article each). Measured, each option in
a child process of its own:

- ``bare``: ``SentenceTransformer(all-MiniLM-L6-v2).encode(texts)`` with its defaults
  (batch 32, float32) on the texts ``build_index`` embeds for one-chunk paragraphs
  (``title + "\\n" + paragraph``): the obvious alternative. It runs in a worker process
  of its own that encodes one half of the corpus (odd or even paragraphs) between every
  two backends, alternating halves; each backend is compared with the half just before
  and the other half just after it (the whole corpus, from the minutes around it), since
  this shared machine's load drifts within a run.
- one row per backend of :mod:`rag.embed`: the whole ``build_index`` (ingest, chunking,
  embedding, FAISS, BM25, saving), the part of it spent embedding, for the default backend
  a rebuild of the unchanged corpus into the same folder (must embed 0 chunks; the cache
  works the same for every backend), and passage recall@1/@5
  of the dense-only and the fused ranking for sampled part-A questions, so a speed-up
  that costs quality shows.

Usage::

    .venv/bin/python benchmarks/bench_indexing.py            # all of part A, 1000 questions
    .venv/bin/python benchmarks/bench_indexing.py --quick    # 200 paragraphs, 200 questions
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from speed_common import (
    MISSING_EXIT_CODE,
    PART_A,
    ROOT,
    MissingData,
    Stopwatch,
    emit,
    machine,
    require,
    run_child,
    save_result,
)

from rag.embed import BACKENDS, Embedder, default_backend, make_embedder

BARE = "bare"
OPTIONS: tuple[str, ...] = BACKENDS
HALVES = ("odd", "even")
FULL_QUESTIONS = 1000
QUICK_PARAGRAPHS = 200
QUICK_QUESTIONS = 200
CHILD_TIMEOUT_SECONDS = 1800
RECALL_DEPTHS = (1, 5)


class TimedEmbedder(Embedder):
    """Delegates to ``inner`` and adds up the seconds spent in ``encode`` and the texts it saw."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.dimension = inner.dimension
        self.backend = inner.backend
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.texts = 0
        self.primed: dict[str, np.ndarray] = {}

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        with Stopwatch() as watch:
            vectors = self.inner.encode(texts, batch_size=batch_size, progress=progress)
        self.seconds += watch.seconds
        self.cpu_seconds += watch.cpu_seconds
        self.texts += len(texts)
        return vectors

    def prime(self, questions: Sequence[str]) -> None:
        """Embed the evaluation questions in one batched call, so scoring recall does not pay
        one model call per question (torch on a busy 2-core machine takes up to a second each)."""
        self.primed = dict(zip(questions, self.inner.encode(list(questions)), strict=True))

    def encode_query(self, text: str) -> np.ndarray:
        vector = self.primed.get(text)
        return vector if vector is not None else self.inner.encode_query(text)


def corpus(paragraphs: int | None, questions: int):  # type: ignore[no-untyped-def]
    from rag.eval.squad import load_squad, sample_questions

    data = load_squad(require(PART_A))
    articles = list(data.articles[:paragraphs] if paragraphs else data.articles)
    kept = {article.doc_id for article in articles}
    sample = [question for question in sample_questions(data.questions, None) if question.doc_id in kept]
    return articles, sample_questions(sample, min(questions, len(sample)))


def bare_worker(articles) -> None:  # type: ignore[no-untyped-def]
    """Load bare sentence-transformers, say ``ready``, then encode the half named on each stdin line."""
    from rag.embed.base import model_path, offline

    offline()
    with Stopwatch() as load:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(model_path()), device="cpu")
        model.encode(["warm up"])
    texts = [f"{article.title}\n{article.text}" for article in articles]
    halves = {"odd": texts[1::2], "even": texts[0::2]}
    print(json.dumps({"ready": True, "load_seconds": round(load.seconds, 2)}), flush=True)
    for line in sys.stdin:
        half = halves[line.strip()]
        with Stopwatch() as watch:
            model.encode(half)
        reply = {
            "half": line.strip(),
            "passages": len(half),
            "seconds": round(watch.seconds, 3),
            "cpu_seconds": round(watch.cpu_seconds, 3),
        }
        print(json.dumps(reply), flush=True)
    emit({"option": BARE})


class BareWorker:
    """The ``--bare-worker`` child: asked for one half of the corpus at a time."""

    def __init__(self, arguments: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--bare-worker", *arguments],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.load_seconds = self._reply()["load_seconds"]

    def _reply(self) -> dict:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the bare worker died (exit {self.process.wait()})")
        return json.loads(line)

    def encode(self, half: str) -> dict:
        assert self.process.stdin is not None
        self.process.stdin.write(half + "\n")
        self.process.stdin.flush()
        return self._reply()

    def close(self) -> float:
        """Stop the worker; returns its peak RSS in MB."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        peak = float(self._reply()["peak_rss_mb"])
        self.process.wait()
        return peak


def measure_backend(backend: str, articles, questions) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from rag.eval.retrieval import evaluate_retrieval
    from rag.index import FusionSettings, build_index

    embedder = TimedEmbedder(make_embedder(backend))
    with Stopwatch() as load:
        embedder.inner.encode(["warm up"])  # loads the model (exports ONNX when not cached)
    folder = Path(tempfile.mkdtemp(prefix=f"rag-bench-{backend}-"))
    try:
        with Stopwatch() as build:
            index = build_index(articles, folder / "index", embedder=embedder)
        embed_seconds, embed_cpu_seconds, embedded = embedder.seconds, embedder.cpu_seconds, embedder.texts
        again, rebuild = index, None
        if backend == default_backend():
            with Stopwatch() as rebuild:
                again = build_index(articles, folder / "index", embedder=embedder)
        methods = {"dense": FusionSettings.single("dense"), "fused": FusionSettings()}
        with Stopwatch() as evaluation:
            embedder.prime(list(dict.fromkeys(question.question for question in questions)))
            scores = evaluate_retrieval(again, questions, methods)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "option": backend,
        "load_seconds": round(load.seconds, 2),
        "seconds": round(build.seconds, 2),
        "passages_per_second": round(len(articles) / build.seconds, 2),
        "chunks": len(index),
        "embed_seconds": round(embed_seconds, 2),
        "embedded_chunks": embedded,
        "embed_passages_per_second": round(len(articles) / embed_seconds, 2),
        "cpu_seconds": round(build.cpu_seconds, 2),
        "embed_cpu_seconds": round(embed_cpu_seconds, 2),
        **(
            {"rebuild_seconds": round(rebuild.seconds, 2), "rebuild_embedded": again.last_embedded}
            if rebuild
            else {}
        ),
        "questions": len(questions),
        "evaluation_seconds": round(evaluation.seconds, 1),
        "recall": {s.method: {f"@{d}": round(s.recall[d], 4) for d in RECALL_DEPTHS} for s in scores},
    }


def summarize(
    rows: list[dict[str, object]], bare_runs: list[dict], len_corpus: int
) -> list[dict[str, object]]:
    """Ratios against the bare halves around each backend; recall deltas against torch."""
    torch_row = next((row for row in rows if row["option"] == "torch"), None)
    options = []
    for position, row in enumerate(rows):
        before, after = bare_runs[position], bare_runs[position + 1]
        bare = (before["passages"] + after["passages"]) / (before["seconds"] + after["seconds"])
        entry = dict(row)
        entry["bare_passages_per_second"] = round(bare, 2)
        entry["ratio_to_bare"] = round(float(row["passages_per_second"]) / bare, 2)
        entry["embed_ratio_to_bare"] = round(float(row["embed_passages_per_second"]) / bare, 2)
        # the same comparison in CPU time (passages per CPU-second): robust to other processes
        bare_cpu = (before["passages"] + after["passages"]) / (before["cpu_seconds"] + after["cpu_seconds"])
        entry["cpu_ratio_to_bare"] = round(len_corpus / float(row["cpu_seconds"]) / bare_cpu, 2)
        entry["embed_cpu_ratio_to_bare"] = round(len_corpus / float(row["embed_cpu_seconds"]) / bare_cpu, 2)
        if torch_row is not None:
            entry["recall5_delta_to_torch"] = {
                method: round(entry["recall"][method]["@5"] - torch_row["recall"][method]["@5"], 4)  # type: ignore[index]
                for method in ("dense", "fused")
            }
        options.append(entry)
    return options


def export_onnx_models(backends: Sequence[str]) -> None:
    """Export (once, cached) before any timing, in a child so this process stays small."""
    if backends:
        script = f"from rag.embed import make_embedder\nfor name in {list(backends)!r}: make_embedder(name).encode(['x'])"
        subprocess.run([sys.executable, "-c", script], check=True, cwd=ROOT, capture_output=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_PARAGRAPHS} paragraphs, {QUICK_QUESTIONS} questions"
    )
    parser.add_argument("--paragraphs", type=int, help="index only the first N part-A paragraphs")
    parser.add_argument("--questions", type=int, help=f"questions for recall (default {FULL_QUESTIONS})")
    parser.add_argument("--options", nargs="+", choices=sorted(set(OPTIONS)), help="measure only these")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child mode: measure one option, print JSON
    parser.add_argument("--bare-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    paragraphs = args.paragraphs or (QUICK_PARAGRAPHS if args.quick else None)
    questions = args.questions or (QUICK_QUESTIONS if args.quick else FULL_QUESTIONS)
    try:
        articles, sample = corpus(paragraphs, questions)
    except MissingData as error:
        print(f"bench_indexing skipped: {error}", file=sys.stderr)
        return MISSING_EXIT_CODE
    if args.bare_worker:
        bare_worker(articles)
        return 0
    if args.one:
        emit(measure_backend(args.one, articles, sample))
        return 0
    options = [option for option in OPTIONS if not args.options or option in args.options]
    export_onnx_models([option for option in options if option.startswith("onnx")])
    extra = ["--paragraphs", str(paragraphs)] if paragraphs else []
    worker = BareWorker(extra)
    rows, bare_runs = [], []
    try:
        for position, option in enumerate([*options, None]):
            bare_runs.append(worker.encode(HALVES[position % 2]))
            print(f"  bare {json.dumps(bare_runs[-1])}", file=sys.stderr, flush=True)
            if option is None:
                break
            print(f"bench_indexing: {option} ...", file=sys.stderr, flush=True)
            row = run_child(
                Path(__file__),
                ["--one", option, "--questions", str(questions), *extra],
                CHILD_TIMEOUT_SECONDS,
            )
            print(f"  {json.dumps(row)}", file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        bare_peak = worker.close()
    result = {
        "benchmark": "indexing",
        "machine": machine(),
        "paragraphs": len(articles),
        "questions": len(sample),
        "default_backend": default_backend(),
        "bare": {"load_seconds": worker.load_seconds, "peak_rss_mb": bare_peak, "runs": bare_runs},
        "options": summarize(rows, bare_runs, len(articles)),
    }
    print(f"wrote {save_result('indexing', result, quick=bool(paragraphs))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
