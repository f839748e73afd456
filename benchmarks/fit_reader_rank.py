"""Fit the reader re-ranker on SQuAD train and write ``rag/qa/reader_rank.json``.

For a sample of train questions, the shipped sentence ranker orders the candidate sentences
(whole train corpus indexed, as ``benchmarks/calibrate.py`` does); the span reader then reads
the best ``--max-depth`` sentences (default ``MAX_DEPTH``), each in its window of neighbours,
and every span it proposes inside each sentence is recorded. From those records (cached in
``benchmarks/.cache``, named by reader, ranker and depth):

1. span choice: the question-overlap penalty that maximizes span exact match (train);
2. sentence order: a listwise softmax regression over ``rag.qa.rerank.RERANK_FEATURES``,
   for each depth from 2 to ``--max-depth``; a deeper one is kept only if it is 0.002 more accurate
   on train (each read sentence costs a reader window at answer time); then the tightest ranker
   logit gap (``RerankModel.max_logit_gap``: sentences further below the best are not read)
   that keeps train top-1 within ``GAP_TOLERANCE``, refitting the weights for it;
3. confidence: logistic regression over ``rag.qa.rerank.CONFIDENCE_INPUTS`` on answerable
   questions and on unanswerable ones (half the train paragraphs indexed, the other half's
   questions asked); label: the re-ranked top sentence holds the answer.

Nothing here looks at dev part A; ``rag eval answers --reader`` reports on it afterwards.

Usage::

    .venv/bin/python benchmarks/fit_reader_rank.py --limit 3000 --unanswerable 1500
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from calibrate import TRAIN_FILE, WORK_DIR, VectorCache, in_memory_index  # noqa: E402

from rag.embed import get_embedder  # noqa: E402
from rag.eval.answers import split_half  # noqa: E402
from rag.eval.scoring import exact_match, f1_score, sentence_holds  # noqa: E402
from rag.eval.squad import SquadQuestion, SquadSet, load_squad  # noqa: E402
from rag.qa.answerer import QA  # noqa: E402
from rag.qa.rerank import (  # noqa: E402
    CONFIDENCE_INPUTS,
    NO_SPAN_MARGIN,
    RERANK_FEATURES,
    RERANK_PATH,
    SPANS_PER_WINDOW,
    ReadSentence,
    RerankModel,
    confidence_row,
    question_overlap,
    read_count,
    rerank_rows,
    sentence_window,
    spans_within,
)
from rag.reader import HitReader  # noqa: E402
from rag.types import Span  # noqa: E402

MAX_DEPTH = 5
SPANS_PER_SENTENCE = 5
SEED = 1
PENALTIES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
L2 = 1e-3
MIN_SCORE = 0.3
#: Ranker logit gaps tried for skipping hopeless sentences, loosest first (see RerankModel.max_logit_gap).
GAPS = (10.0, 8.0, 6.0, 5.0, 4.0, 3.0)
GAP_TOLERANCE = 0.001


def default_records_path(depth: int) -> Path:
    """The records cache for the shipped reader and sentence ranker: a new reader or ranker (whose
    outputs the records hold) gets new records instead of silently reusing stale ones."""
    import hashlib

    from rag.qa.model import MODEL_PATH
    from rag.reader import DEFAULT_MODEL_DIR
    from rag.reader.artifacts import ONNX_FILE

    digest = hashlib.sha256()
    for path in (DEFAULT_MODEL_DIR / ONNX_FILE, MODEL_PATH):
        digest.update(path.read_bytes())
    return WORK_DIR / f"reader_rank_records-{digest.hexdigest()[:12]}-depth{depth}.json"


def fit_questions(
    train: SquadSet, answerable: int, unanswerable: int
) -> tuple[list[SquadQuestion], list[str], list[SquadQuestion]]:
    """The fit's sample (fixed seed): ``answerable`` questions asked of the whole corpus, the
    paragraph ids of the indexed half, and ``unanswerable`` questions of the other half."""
    rng = random.Random(SEED)
    chosen = rng.sample(list(train.questions), answerable)
    indexed, held = split_half(train, SEED)
    held_set = set(held)
    away = rng.sample([q for q in train.questions if q.doc_id in held_set], unanswerable)
    return chosen, indexed, away


def collect(
    qa: QA, reader: HitReader, questions: Sequence[SquadQuestion], label: str, depth: int
) -> list[dict]:
    """One record per question: the top sentences with ranker logit, label and reader spans."""
    records = []
    started = time.perf_counter()
    for number, question in enumerate(questions, start=1):
        ranking = qa.rank(question.question)
        references = [answer.text for answer in question.answers]
        positions = [int(p) for p in ranking.order[:depth]]
        windows = [sentence_window(ranking.candidates[p], n) for n, p in enumerate(positions)]
        spans = reader.read(ranking.question.text, windows) if windows else []
        stems = frozenset(ranking.question.stems)
        sentences = []
        for position, window in zip(positions, windows, strict=True):
            candidate = ranking.candidates[position]
            inside = []
            in_window = [span.score for span in spans_within(spans, window.doc_id, window.start, window.end)]
            doc_id, sentence = candidate.article.doc_id, candidate.span
            for span in spans_within(spans, doc_id, sentence.start, sentence.end):
                text = candidate.article.text[span.start : span.end]
                inside.append(
                    {
                        "start": span.start,
                        "end": span.end,
                        "margin": span.score,
                        "overlap": question_overlap(text, stems),
                        "em": exact_match(text, references),
                        "f1": f1_score(text, references),
                    }
                )
            # keep distinct spans (overlapping windows read a sentence twice), best first
            distinct = {
                (item["start"], item["end"]): item for item in sorted(inside, key=lambda i: i["margin"])
            }
            sentences.append(
                {
                    "logit": float(ranking.logits[position]),
                    "right": bool(sentence_holds(candidate.text, references)),
                    "window_margin": max(in_window, default=NO_SPAN_MARGIN),
                    "spans": sorted(distinct.values(), key=lambda i: -i["margin"])[:SPANS_PER_SENTENCE],
                }
            )
        records.append(
            {
                "id": question.question_id,
                "confidence": ranking.confidence,
                "sentences": sentences,
            }
        )
        if number % 250 == 0:
            print(f"  {label}: {number}/{len(questions)}, {time.perf_counter() - started:.0f} s", flush=True)
    return records


def read_sentences(record: dict, depth: int, penalty: float) -> list[tuple[ReadSentence, dict | None]]:
    out = []
    for sentence in record["sentences"][:depth]:
        best, best_value = None, -np.inf
        for span in sentence["spans"]:
            value = span["margin"] - penalty * span["overlap"]
            if value > best_value:
                best, best_value = span, value
        window_margin = max(sentence["window_margin"], NO_SPAN_MARGIN)
        if best is None:
            out.append((ReadSentence(None, NO_SPAN_MARGIN, 0.0, window_margin), None))
        else:
            margin = max(best["margin"], NO_SPAN_MARGIN)
            read = ReadSentence(
                Span(best["start"], best["end"]), margin, best["overlap"], max(window_margin, margin)
            )
            out.append((read, best))
    return out


def read_depth(record: dict, depth: int, max_gap: float) -> int:
    """How many of the record's sentences the answerer reads (the rule of ``RerankModel.read_count``)."""
    return read_count(np.array([s["logit"] for s in record["sentences"]]), depth, max_gap)


def rows_of(
    record: dict, depth: int, penalty: float, max_gap: float = math.inf
) -> tuple[np.ndarray, np.ndarray, list]:
    depth = read_depth(record, depth, max_gap)
    read = read_sentences(record, depth, penalty)
    logits = np.array([s["logit"] for s in record["sentences"][:depth]])
    labels = np.array([s["right"] for s in record["sentences"][:depth]], dtype=float)
    return rerank_rows(logits, [r for r, _ in read]), labels, [span for _, span in read]


def fit_listwise(groups: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Weights minimizing the softmax cross-entropy of the right sentences (L2-regularized)."""
    from scipy.optimize import minimize

    usable = [(rows, labels) for rows, labels in groups if labels.any() and len(labels) > 1]

    def loss(weights: np.ndarray) -> tuple[float, np.ndarray]:
        total, gradient = 0.0, np.zeros_like(weights)
        for rows, labels in usable:
            scores = rows @ weights
            scores = scores - scores.max()
            probabilities = np.exp(scores) / np.exp(scores).sum()
            target = labels / labels.sum()
            total -= float(target @ np.log(probabilities + 1e-12))
            gradient += rows.T @ (probabilities - target)
        count = max(len(usable), 1)
        return total / count + L2 * float(weights @ weights), gradient / count + 2 * L2 * weights

    start = np.zeros(groups[0][0].shape[1] if groups else len(RERANK_FEATURES))
    start[0] = 1.0
    return minimize(loss, start, jac=True, method="L-BFGS-B").x


def top1(groups: list[tuple[np.ndarray, np.ndarray]], weights: np.ndarray) -> float:
    return float(
        np.mean([labels[int(np.argmax(rows @ weights))] if len(labels) else 0.0 for rows, labels in groups])
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=3000, help="answerable train questions")
    parser.add_argument(
        "--unanswerable", type=int, default=1500, help="train questions asked of the other half"
    )
    parser.add_argument("--out", type=Path, default=RERANK_PATH)
    parser.add_argument("--max-depth", type=int, default=MAX_DEPTH, help="most sentences the reader re-reads")
    parser.add_argument(
        "--records",
        type=Path,
        default=None,
        help="records cache (default: benchmarks/.cache/calibrate, named by reader and ranker)",
    )
    args = parser.parse_args(argv)
    args.records = args.records or default_records_path(args.max_depth)
    if not TRAIN_FILE.is_file():
        print(f"missing {TRAIN_FILE}: this script needs ../shared/train (SQuAD v1.1)", file=sys.stderr)
        return 2
    train = load_squad(TRAIN_FILE)
    if args.records.is_file():
        records = json.loads(args.records.read_text(encoding="utf-8"))
        print(f"read {args.records}")
    else:
        embedder = VectorCache(WORK_DIR / get_embedder().backend)
        reader = HitReader(spans_per_hit=SPANS_PER_WINDOW)
        answerable, indexed, away = fit_questions(train, args.limit, args.unanswerable)
        whole = QA(in_memory_index(train.articles, embedder), reader=None)
        records = {"answerable": collect(whole, reader, answerable, "answerable", args.max_depth)}
        indexed_set = set(indexed)
        half = QA(
            in_memory_index([a for a in train.articles if a.doc_id in indexed_set], embedder), reader=None
        )
        records["unanswerable"] = collect(half, reader, away, "unanswerable", args.max_depth)
        embedder.save()
        args.records.write_text(json.dumps(records), encoding="utf-8")

    answerable = records["answerable"]
    baseline = float(np.mean([r["sentences"][0]["right"] if r["sentences"] else 0 for r in answerable]))
    print(f"ranker alone: top-1 {baseline:.4f} on {len(answerable)} answerable train questions")
    max_depth = min(args.max_depth, max((len(r["sentences"]) for r in answerable), default=1))
    for depth in range(1, max_depth + 1):
        within = np.mean([any(s["right"] for s in r["sentences"][:depth]) for r in answerable])
        print(f"  right sentence within top {depth}: {within:.4f}")

    # 1. span choice inside the ranker's top sentence (right sentences only)
    best_penalty, best_em = 0.0, -1.0
    for penalty in PENALTIES:
        ems = [
            span["em"] if span else 0.0
            for r in answerable
            if r["sentences"] and r["sentences"][0]["right"]
            for _, span in read_sentences(r, 1, penalty)
        ]
        em = float(np.mean(ems))
        print(f"  overlap penalty {penalty}: span EM in right top sentences {em:.4f}")
        if em > best_em:
            best_penalty, best_em = penalty, em

    # 2. sentence order
    best = None
    for depth in range(2, max(max_depth, 2) + 1):
        groups = [rows_of(r, depth, best_penalty)[:2] for r in answerable]
        weights = fit_listwise(groups)
        accuracy = top1(groups, weights)
        print(f"  depth {depth}: re-ranked top-1 {accuracy:.4f}, weights {np.round(weights, 3).tolist()}")
        if best is None or accuracy > best[0] + 0.002:
            best = (accuracy, depth, weights)
    assert best is not None
    accuracy, depth, weights = best

    # 2b. reading fewer: skip read sentences whose ranker logit is far below the best one's;
    # the tightest gap that keeps train top-1 within GAP_TOLERANCE of reading all ``depth``
    max_gap = math.inf
    for gap in GAPS:
        groups = [rows_of(r, depth, best_penalty, gap)[:2] for r in answerable]
        gap_weights = fit_listwise(groups)
        gap_accuracy = top1(groups, gap_weights)
        reads = float(np.mean([read_depth(r, depth, gap) for r in answerable]))
        print(f"  logit gap {gap}: re-ranked top-1 {gap_accuracy:.4f}, {reads:.2f} sentences read on average")
        if gap_accuracy >= accuracy - GAP_TOLERANCE and gap < max_gap:
            max_gap, pruned = gap, (gap_accuracy, gap_weights)
    if max_gap < math.inf:
        accuracy, weights = pruned

    # 3. confidence
    from sklearn.linear_model import LogisticRegression

    inputs, labels = [], []
    for kind in ("answerable", "unanswerable"):
        for record in records[kind]:
            if not record["sentences"]:
                continue
            rows, right, _ = rows_of(record, depth, best_penalty, max_gap)
            scores = rows @ weights
            inputs.append(confidence_row(record["confidence"], rows, scores))
            labels.append(kind == "answerable" and bool(right[int(np.argmax(scores))]))
    inputs_array, labels_array = np.array(inputs), np.array(labels)
    logistic = LogisticRegression(C=1.0, max_iter=1000).fit(inputs_array, labels_array)
    model = RerankModel(
        depth=depth,
        max_logit_gap=max_gap,
        overlap_penalty=best_penalty,
        weights=weights,
        confidence_weights=logistic.coef_[0],
        confidence_bias=float(logistic.intercept_[0]),
        min_score=MIN_SCORE,
        info={
            "fitted_by": "benchmarks/fit_reader_rank.py",
            "train_file": TRAIN_FILE.name,
            "answerable_questions": len(answerable),
            "unanswerable_questions": len(records["unanswerable"]),
            "train_top1_ranker": round(baseline, 4),
            "train_top1_reranked": round(accuracy, 4),
            "train_sentences_read": round(
                float(np.mean([read_depth(r, depth, max_gap) for r in answerable])), 2
            ),
            "train_span_em_in_right_sentences": round(best_em, 4),
        },
    )
    probabilities = np.array([model.confidence(row) for row in inputs_array])
    n_answerable = sum(1 for r in answerable if r["sentences"])
    for threshold in (0.2, 0.3, 0.4, 0.5):
        answered = probabilities >= threshold
        right = labels_array[answered].mean() if answered.any() else 0.0
        print(
            f"  min_score {threshold}: answerable abstain {1 - answered[:n_answerable].mean():.3f}, "
            f"unanswerable answered {answered[n_answerable:].mean():.3f}, right when answered {right:.3f}"
        )
    model.save(args.out)
    print(
        f"wrote {args.out}: depth {depth}, penalty {best_penalty}, features {RERANK_FEATURES}, {CONFIDENCE_INPUTS}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
