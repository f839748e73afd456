"""Render the "Speed" section of benchmarks/README.md from ``benchmarks/results/*.json``.

Only the text between ``SECTION_START`` and ``SECTION_END`` is replaced (appended when the
markers are missing), so other sections of the README stay as their authors wrote them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from speed_common import RESULTS, ROOT

README = ROOT / "benchmarks" / "README.md"
SECTION_START = "<!-- speed:start (written by benchmarks/run_all.py; edit speed_report.py instead) -->"
SECTION_END = "<!-- speed:end -->"
INDEXING_RATIO_TARGET = 3.0
RECALL_TOLERANCE = 0.01
SEARCH_TO_EMBEDDING_TARGET = 3.0
SEARCH_100K_TARGET_MS = 50.0
ASK_100K_TARGET_MS = 60.0
RSS_100K_TARGET_MB = 1536.0
LOAD_100K_TARGET_SECONDS = 5.0
COLD_START_TARGET_SECONDS = 10.0


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def ask_cell(row: dict, key: str = "ask") -> str:
    """``p50 / p95`` of rag.ask (``key``: ``ask`` without reader, ``ask_with_reader``), or why not measured."""
    ask = row.get(key, {"error": "not in this result file"})
    if "p50_ms" in ask:
        return f"{ask['p50_ms']} / {ask['p95_ms']}"
    return f"not measured ({ask.get('error', '?').split(':')[0]})"


def measured_on(*results: dict | None) -> str:
    """The dates the results were measured on (today for results saved without one)."""
    dates = sorted({r["machine"].get("date", time.strftime("%Y-%m-%d")) for r in results if r})
    return ", ".join(dates) or time.strftime("%Y-%m-%d")


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def _machine_line(result: dict) -> str:
    m = result["machine"]
    return (
        f"{m['cpu']}, {m['cores']} cores, load average {m['load_average_1min']} at the end; "
        f"torch {m['torch']}, sentence-transformers {m['sentence-transformers']}, onnxruntime {m['onnxruntime']}"
    )


def targets(indexing: dict | None, query: dict | None, coldstart: dict | None) -> list[str]:
    rows = ["| Target | Goal | Measured | |", "|---|---|---|---|"]
    if indexing:
        default = next(o for o in indexing["options"] if o["option"] == indexing["default_backend"])
        ratio, embed_ratio = default["ratio_to_bare"], default["embed_ratio_to_bare"]
        rows.append(
            f"| Indexing throughput, `{default['option']}` vs bare sentence-transformers | ≥ {INDEXING_RATIO_TARGET:g}× "
            f"| {ratio}× whole `build_index` ({embed_ratio}× its embedding step alone); in CPU time "
            f"{default.get('cpu_ratio_to_bare', '?')}× ({default.get('embed_cpu_ratio_to_bare', '?')}×) "
            f"| {verdict(ratio >= INDEXING_RATIO_TARGET)} |"
        )
        delta = default.get("recall5_delta_to_torch")
        if delta:
            worst = min(delta.values())
            rows.append(
                f"| Part-A recall@5 of `{default['option']}` vs the torch model | within {RECALL_TOLERANCE} "
                f"| dense {delta['dense']:+.3f}, fused {delta['fused']:+.3f} | {verdict(worst >= -RECALL_TOLERANCE)} |"
            )
        for option in indexing["options"]:
            if "rebuild_embedded" in option:
                embedded, seconds = option["rebuild_embedded"], option["rebuild_seconds"]
                rows.append(
                    f"| Unchanged corpus re-indexed (`build_index` again, same folder) | 0 texts embedded "
                    f"| {embedded} embedded, {seconds} s (chunking and BM25 are redone) | {verdict(embedded == 0)} |"
                )
    if query:
        by = {row["option"]: row for row in query["rows"]}
        reference = by.get("bare-question")
        if reference and "seeds" in by:
            search = by["seeds"]["search"]["p50_ms"]
            bare = min(reference["bare"]["p50_ms"], reference["bare_one_thread"]["p50_ms"])  # the stricter
            rows.append(
                f"| `index.search` p50 at the seed corpus | ≤ {SEARCH_TO_EMBEDDING_TARGET:g}× one bare question embedding "
                f"| {search} ms vs {bare} ms, the faster bare setting ({search / bare:.2f}×) "
                f"| {verdict(search <= SEARCH_TO_EMBEDDING_TARGET * bare)} |"
            )
        if "100k" in by:
            big = by["100k"]
            rss = big["peak_rss_mb"]
            ask_met = "p50_ms" in big["ask"] and big["ask"]["p50_ms"] <= ASK_100K_TARGET_MS
            rows += [
                f"| `index.search` p50 at 100k passages | ≤ {SEARCH_100K_TARGET_MS:g} ms | {big['search']['p50_ms']} ms "
                f"| {verdict(big['search']['p50_ms'] <= SEARCH_100K_TARGET_MS)} |",
                f"| `rag.ask` p50 at 100k (no reader) | ≤ {ASK_100K_TARGET_MS:g} ms "
                f"| {big['ask']['p50_ms'] if 'p50_ms' in big['ask'] else ask_cell(big)} ms "
                f"| {verdict(ask_met)} |",
                f"| `rag.ask` p50 / p95 at 100k with the span reader (the default) | — | {ask_cell(big, 'ask_with_reader')} ms | |",
                f"| Peak RSS at 100k (load + queries) | ≤ 1.5 GB | {rss / 1024:.2f} GB | {verdict(rss <= RSS_100K_TARGET_MB)} |",
                f"| Index load at 100k | ≤ {LOAD_100K_TARGET_SECONDS:g} s | {big['load_seconds']} s "
                f"| {verdict(big['load_seconds'] <= LOAD_100K_TARGET_SECONDS)} |",
            ]
    if coldstart:
        seconds = coldstart["first_answer_median_seconds"]
        rows.append(
            f"| Cold start, `make run` to first answer (persisted index) | ≤ {COLD_START_TARGET_SECONDS:g} s "
            f"| {seconds} s (median of {len(coldstart['runs'])}) | {verdict(seconds <= COLD_START_TARGET_SECONDS)} |"
        )
    return rows


def indexing_table(result: dict) -> list[str]:
    bare = result["bare"]
    runs = ", ".join(f"{run['passages'] / run['seconds']:.2f}" for run in bare["runs"])
    lines = [
        f"Corpus: SQuAD dev part A, {result['paragraphs']} paragraphs; recall on {result['questions']} sampled "
        "questions (passage recall: the question's own paragraph among the first k). The bare "
        "sentence-transformers baseline (torch float32, batch 32, its own process) encoded one half of "
        "the corpus before the first backend, between every two backends and after the last, "
        f"alternating halves: {runs} passages/s. Each backend's ratio uses the two halves around it "
        "(column `bare`), because the load on this shared machine drifts within a run.",
        "",
        "Ratios in CPU time (passages per CPU-second of the process, all threads) are given too: they "
        "depend less on other processes, though they also count threads spinning while they wait.",
        "",
        "| Backend | `build_index` passages/s | bare passages/s | × bare, wall (CPU time) | embedding step passages/s "
        "| × bare, wall (CPU time) | dense R@1 / R@5 | fused R@1 / R@5 | Δ R@5 vs torch (dense / fused) | peak RSS MB "
        "| model load s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    default = next(o for o in result["options"] if o["option"] == result["default_backend"])
    notes = []
    if "cpu_seconds" in default:
        share = default["embed_cpu_seconds"] / default["cpu_seconds"]
        notes = [
            "",
            f"Where `{default['option']}`'s `build_index` time goes: the embedding step is {share:.0%} of its CPU "
            "time; the rest is ingest, sentence splitting (pysbd, the largest part), BM25 over passages and "
            "sentences, FAISS and writing the snapshot, so the whole build gains less than the embedding.",
        ]
    for option in result["options"]:
        recall = option["recall"]
        delta = option.get("recall5_delta_to_torch", {})
        lines.append(
            f"| `{option['option']}` | {option['passages_per_second']} | {option['bare_passages_per_second']} "
            f"| {option['ratio_to_bare']} ({option.get('cpu_ratio_to_bare', '?')}) "
            f"| {option['embed_passages_per_second']} | {option['embed_ratio_to_bare']} ({option.get('embed_cpu_ratio_to_bare', '?')}) "
            f"| {recall['dense']['@1']:.3f} / {recall['dense']['@5']:.3f} | {recall['fused']['@1']:.3f} / {recall['fused']['@5']:.3f} "
            f"| {delta.get('dense', 0):+.3f} / {delta.get('fused', 0):+.3f} | {option['peak_rss_mb']:.0f} | {option['load_seconds']} |"
        )
    return lines + notes


def query_table(result: dict) -> list[str]:
    by = {row["option"]: row for row in result["rows"]}
    lines = []
    reference = by.get("bare-question")
    if reference:
        lines += [
            f"One question embedded, p50 / p95, interleaved: bare sentence-transformers "
            f"{reference['bare']['p50_ms']} / {reference['bare']['p95_ms']} ms with its default "
            f"{reference['torch_threads']} torch threads, {reference['bare_one_thread']['p50_ms']} / "
            f"{reference['bare_one_thread']['p95_ms']} ms with one; ours (`{reference['ours']['backend']}`) "
            f"{reference['ours']['p50_ms']} / {reference['ours']['p95_ms']} ms.",
            "",
        ]
    lines += [
        "Corpora: `seeds` (the repository's seed pages), `3k` (every paragraph of SQuAD dev part A and "
        "the train subset), `100k` (synthetic, from the one-chunk paragraphs of `3k`: variant 0 is the "
        "paragraph with its real sentence vectors, variant j rotates its sentences, marks each with `(variant j)` so "
        "no two passages share a sentence, retitles it and adds Gaussian noise to each real sentence vector, cosine "
        "about 0.96; see `speed_corpora.py`). Each question is asked "
        "once (distinct SQuAD part-A questions), so no cache helps. `QA(reader=None).ask` is the sentence-level "
        'answerer (the issue\'s "without reader" target); `rag.ask` is the default, with the span reader re-reading '
        "up to 7 of the best sentences, those within 4 ranker logits of the best one (other questions than the "
        'no-reader column\'s). "Embedded" counts sentences '
        "(the 100k build looks its vectors up instead of embedding them).",
        "",
        "| Corpus | chunks | dense index | load s | RSS after load MB | `index.search` p50 / p95 ms "
        "| no-reader ask p50 / p95 ms | `rag.ask` (reader) p50 / p95 ms | peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("seeds", "3k", "100k"):
        row = by.get(name)
        if row:
            lines.append(
                f"| {name} | {row['chunks']} | {row['dense_kind']} | {row['load_seconds']} | {row['rss_after_load_mb']:.0f} "
                f"| {row['search']['p50_ms']} / {row['search']['p95_ms']} | {ask_cell(row)} "
                f"| {ask_cell(row, 'ask_with_reader')} | {row['peak_rss_mb']:.0f} |"
            )
    for build in result.get("builds", []):
        lines.append("")
        lines.append(
            f"Built `{build['option'][6:]}` in this run: {build['seconds']} s, {build['chunks']} chunks, "
            f"{build['embedded']} embedded."
        )
    return lines


def render(command: str) -> str:
    indexing, query, coldstart = load("indexing"), load("query"), load("coldstart")
    lines = [
        SECTION_START,
        "## Speed",
        "",
        f"Command: `{command}`. Date: {measured_on(indexing, query, coldstart)}. Every option is measured in a process of its "
        "own; absolute figures depend on the machine and on how busy it is (this one is shared, so "
        "**compare ratios taken in the same run**, not absolute times across runs).",
        "",
        "### Targets",
        "",
        *targets(indexing, query, coldstart),
    ]
    if indexing:
        lines += [
            "",
            "### Indexing (`bench_indexing.py`)",
            "",
            f"Machine: {_machine_line(indexing)}.",
            "",
            *indexing_table(indexing),
        ]
    if query:
        lines += [
            "",
            "### Query latency and memory (`bench_query.py`)",
            "",
            f"Machine: {_machine_line(query)}.",
            "",
            *query_table(query),
        ]
    if coldstart:
        runs = ", ".join(f"{run['first_answer_seconds']} s" for run in coldstart["runs"])
        lines += [
            "",
            "### Cold start (`bench_coldstart.py`)",
            "",
            f"Machine: {_machine_line(coldstart)}.",
            "",
            f"`{coldstart['command']}`, question {coldstart['question']!r}: first answer after {runs} "
            f"(listening after "
            + ", ".join(f"{run['listening_seconds']} s" for run in coldstart["runs"])
            + ").",
        ]
    lines += ["", *NOTES, SECTION_END]
    return "\n".join(lines) + "\n"


NOTES = [
    "### Where the remaining time goes (profiled 2026-11-24)",
    "",
    "- `rag.ask` without the reader: since 2026-11-24 (index format 2) every sentence is embedded once "
    "at indexing time (float16, memory-mapped) and the answerer reads the vectors of its candidate "
    "sentences from the index, so a question costs one question embedding, the search and the ranker "
    "(it was 77 ms p50 at 100k when the answerer embedded about 20 sentences per question on the fly). "
    "The same vectors give the search its dense signal (a passage's best sentence cosine), so nothing "
    "is embedded twice; indexing embeds the ~4.8k sentences of part A in the time the 913 paragraphs took.",
    "- Index load at 100k: the chunk table is ids in one JSON object plus offsets in `.npy` arrays, "
    "chunk texts sliced from the article texts (`rag/index/chunkfile.py`; it was 85 MB of JSON lines, "
    "4.8 s quiet); what is left is mostly `articles.jsonl` (80 MB of article text), building the "
    "100k `Chunk` / 500k `Span` objects, the FAISS import and BM25. The vectors are memory-mapped.",
    "- `rag.ask` with the span reader adds 50 to 130 ms: the reader reads 1 to 7 of the best sentences with "
    "their neighbours (windows of about 100 word-pieces, int8 ONNX, 1 thread), more when the ranker is unsure: "
    "on `seeds` (part-A questions the seed articles cannot answer) and at 100k (each paragraph has near-copies) "
    "it reads most of the 7, on `3k` few.",
    "",
    "### How the options differ",
    "",
    "- `torch`: sentence-transformers, float32: the reference vectors.",
    "- `torch-bf16`: the same with bfloat16 weights and activations.",
    "- `onnx`: exported with `torch.onnx.export`, ONNX Runtime's BERT fusions (attention, "
    "skip-layer-norm, bias-GELU), float32.",
    "- `onnx-int8` (default): the fused graph with dynamic int8 quantization, per-channel weight "
    "scales, the feed-forward output projections of the first two layers kept in float32; one text per "
    "forward pass (no padding; a text's vector does not depend on its neighbours) and one "
    "single-threaded stream per core, texts longest first.",
    "- Batch size of `onnx-int8` (2026-11-24, 120 part-A paragraphs, load average about 9, two "
    "streams vs one stream of two threads): 1 → 22.3, 2 → 23.0, 4 → 21.9, 8 → 20.6 passages/s with "
    "two single-threaded streams; 18-22 with one two-threaded stream. Equal within noise, so batches "
    "of one: no padding, and int8 activation scales (taken per batch) then depend on the text alone.",
    "- Quantization choices (2026-11-24; cosine to float32 of the 109 seed sentences, 300 part-A "
    "questions and 100 paragraphs, each embedded alone; mean / worst): per-tensor weights 0.953 mean "
    "(NOTES.md); per-channel, all linear layers int8: questions 0.995 / 0.989; float32 feed-forward "
    "output projection in layer 0: seed sentences 0.995 / 0.988; in layers 0 and 1 (chosen, 3 % more "
    "CPU time than layer 0 only): 0.996 / 0.990, questions 0.996 / 0.994, paragraphs 0.997 / 0.994; "
    "in layers 0-2: 0.996 / 0.992 (+14 %); in all six: 0.997 / 0.992 (+34 %). The worst cases are "
    "short sentences. Dense part-A R@5 (one vector per paragraph, 1,000 questions): float32 .894, "
    "all int8 .888, layer 0 float32 .892, all six float32 .889: equal within noise.",
    "- Not used: per-tensor int8 (cosine to float32 0.953 mean, see ../shared/NOTES.md), "
    "`max_seq_length` 128 (truncates long chunks), sentence-transformers' own ONNX backend "
    "(not installable next to transformers 5).",
    "- The exported model is cached in `~/.cache/rag/onnx` (`$RAG_CACHE_DIR`), built locally from "
    "the packaged model on first use; `RAG_EMBED_BACKEND` picks another backend.",
]


def refresh(command: str) -> Path:
    """Replace (or append) the Speed section of benchmarks/README.md."""
    section = render(command)
    text = README.read_text(encoding="utf-8") if README.is_file() else "# Benchmarks\n"
    if SECTION_START in text and SECTION_END in text:
        before = text[: text.index(SECTION_START)]
        after = text[text.index(SECTION_END) + len(SECTION_END) :].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    README.write_text(text, encoding="utf-8")
    return README
