"""Fit ``rag/qa/reader_rank.json`` from re-ranker records: the same records give the same file.

From :class:`rag.training.rerank_records.RerankRecords` alone:

1. span choice: the question-overlap penalty that maximizes span exact match in the ranker's
   top sentence when it is right;
2. sentence order: a listwise softmax regression over ``rag.qa.rerank.RERANK_FEATURES`` for each
   depth from 2 to the records' depth; a deeper one is kept only if it is ``DEPTH_GAIN`` more
   accurate on train (each read sentence costs a reader window at answer time); then the tightest
   ranker logit gap (``RerankModel.max_logit_gap``) that keeps train top-1 within
   ``GAP_TOLERANCE``, refitting the weights for it;
3. confidence: logistic regression over ``rag.qa.rerank.CONFIDENCE_INPUTS`` on answerable and
   unanswerable questions; label: the re-ranked top sentence holds the answer.

scipy (the listwise fit) and scikit-learn (the confidence) are imported inside the fits.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from rag.qa.rerank import (
    LEAD_BONUS,
    LEAD_CHARS,
    NO_SPAN_MARGIN,
    RERANK_FEATURES,
    ReadSentence,
    RerankModel,
    confidence_row,
    read_count,
    rerank_rows,
)
from rag.training.rerank_records import QuestionRecord, RerankRecords, SpanRecord
from rag.types import Span

log = logging.getLogger(__name__)

#: Question-overlap penalties tried for the span choice.
PENALTIES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)
#: L2 strength of the listwise regression.
L2 = 1e-3
#: Train top-1 a deeper read must gain over the best shallower one to be kept.
DEPTH_GAIN = 0.002
#: Ranker logit gaps tried for skipping hopeless sentences, loosest first (see RerankModel.max_logit_gap).
GAPS = (10.0, 8.0, 6.0, 5.0, 4.0, 3.0)
#: Train top-1 a logit gap may cost against reading every sentence up to the depth.
GAP_TOLERANCE = 0.003
#: Confidence regression: inverse regularization strength and iteration cap.
CONFIDENCE_C = 1.0
CONFIDENCE_MAX_ITER = 1000
#: Abstention threshold written into the model.
MIN_SCORE = 0.3
#: Thresholds whose train abstention is logged.
REPORTED_THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
#: Added inside the log of the listwise loss so that a zero probability stays finite.
LOG_FLOOR = 1e-12
FITTED_BY = "rag train reranker"

Group = tuple[np.ndarray, np.ndarray]


def read_sentences(
    record: QuestionRecord, depth: int, penalty: float
) -> list[tuple[ReadSentence, SpanRecord | None]]:
    """What the answerer would take from each of the first ``depth`` sentences: the span with the
    best ``margin - penalty * overlap`` (or none), as a :class:`ReadSentence`."""
    out: list[tuple[ReadSentence, SpanRecord | None]] = []
    for sentence in record.sentences[:depth]:
        best, best_value = None, -np.inf
        for span in sentence.spans:
            value = span.margin - penalty * span.overlap
            if value > best_value:
                best, best_value = span, value
        window_margin = max(sentence.window_margin, NO_SPAN_MARGIN)
        if best is None:
            out.append((ReadSentence(None, NO_SPAN_MARGIN, 0.0, window_margin), None))
        else:
            margin = max(best.margin, NO_SPAN_MARGIN)
            read = ReadSentence(Span(best.start, best.end), margin, best.overlap, max(window_margin, margin))
            out.append((read, best))
    return out


def read_depth(record: QuestionRecord, depth: int, max_gap: float) -> int:
    """How many of the record's sentences the answerer reads (the rule of ``RerankModel.read_count``)."""
    return read_count(np.array([s.logit for s in record.sentences]), depth, max_gap)


def rows_of(record: QuestionRecord, depth: int, penalty: float, max_gap: float = math.inf) -> Group:
    """The re-ranker's feature rows of the sentences read, and their labels (1.0: right)."""
    depth = read_depth(record, depth, max_gap)
    read = read_sentences(record, depth, penalty)
    logits = np.array([s.logit for s in record.sentences[:depth]])
    labels = np.array([s.right for s in record.sentences[:depth]], dtype=float)
    return rerank_rows(logits, [r for r, _ in read]), labels


def fit_listwise(groups: list[Group]) -> np.ndarray:
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
            total -= float(target @ np.log(probabilities + LOG_FLOOR))
            gradient += rows.T @ (probabilities - target)
        count = max(len(usable), 1)
        return total / count + L2 * float(weights @ weights), gradient / count + 2 * L2 * weights

    start = np.zeros(groups[0][0].shape[1] if groups else len(RERANK_FEATURES))
    start[0] = 1.0  # the ranker's order
    return minimize(loss, start, jac=True, method="L-BFGS-B").x


def top1(groups: list[Group], weights: np.ndarray) -> float:
    """Share of groups whose best-scored sentence is right."""
    return float(
        np.mean([labels[int(np.argmax(rows @ weights))] if len(labels) else 0.0 for rows, labels in groups])
    )


def choose_penalty(answerable: tuple[QuestionRecord, ...]) -> tuple[float, float]:
    """Step 1: the overlap penalty with the best span EM in right top sentences, and that EM."""
    best_penalty, best_em = 0.0, -1.0
    for penalty in PENALTIES:
        ems = [
            span.em if span else 0.0
            for r in answerable
            if r.sentences and r.sentences[0].right
            for _, span in read_sentences(r, 1, penalty)
        ]
        em = float(np.mean(ems)) if ems else 0.0
        log.info("  overlap penalty %s: span EM in right top sentences %.4f", penalty, em)
        if em > best_em:
            best_penalty, best_em = penalty, em
    return best_penalty, best_em


def choose_order(
    answerable: tuple[QuestionRecord, ...], max_depth: int, penalty: float
) -> tuple[float, int, float, np.ndarray]:
    """Step 2: (train top-1, depth, logit gap, weights) of the sentence order."""
    best = None
    for depth in range(2, max(max_depth, 2) + 1):
        groups = [rows_of(r, depth, penalty) for r in answerable]
        weights = fit_listwise(groups)
        accuracy = top1(groups, weights)
        log.info(
            "  depth %d: re-ranked top-1 %.4f, weights %s", depth, accuracy, np.round(weights, 3).tolist()
        )
        if best is None or accuracy > best[0] + DEPTH_GAIN:
            best = (accuracy, depth, weights)
    assert best is not None
    accuracy, depth, weights = best
    # reading fewer: the tightest gap that keeps train top-1 within GAP_TOLERANCE of reading all
    max_gap = math.inf
    for gap in GAPS:
        groups = [rows_of(r, depth, penalty, gap) for r in answerable]
        gap_weights = fit_listwise(groups)
        gap_accuracy = top1(groups, gap_weights)
        reads = float(np.mean([read_depth(r, depth, gap) for r in answerable]))
        log.info(
            "  logit gap %s: re-ranked top-1 %.4f, %.2f sentences read on average", gap, gap_accuracy, reads
        )
        if gap_accuracy >= accuracy - GAP_TOLERANCE and gap < max_gap:
            max_gap, pruned = gap, (gap_accuracy, gap_weights)
    if max_gap < math.inf:
        accuracy, weights = pruned
    return accuracy, depth, max_gap, weights


def fit_rerank_model(records: RerankRecords, max_depth: int | None = None) -> RerankModel:
    """The re-ranker fitted from ``records`` (reading at most ``max_depth`` sentences, default:
    every sentence the records hold).

    Example:
        >>> fit_rerank_model(read_rerank_records(folder)).save("rag/qa/reader_rank.json")  # doctest: +SKIP

    Raises:
        ValueError: no answerable record has a sentence, or the confidence sees one label only.
    """
    from sklearn.linear_model import LogisticRegression

    answerable = records.answerable
    if not any(r.sentences for r in answerable):
        raise ValueError("no answerable question in the records has a read sentence")
    baseline = float(np.mean([r.sentences[0].right if r.sentences else 0 for r in answerable]))
    log.info("ranker alone: top-1 %.4f on %d answerable train questions", baseline, len(answerable))
    deepest = max(len(r.sentences) for r in answerable)
    max_depth = min(max_depth or deepest, deepest)
    for depth in range(1, max_depth + 1):
        within = np.mean([any(s.right for s in r.sentences[:depth]) for r in answerable])
        log.info("  right sentence within top %d: %.4f", depth, within)
    penalty, span_em = choose_penalty(answerable)
    accuracy, depth, max_gap, weights = choose_order(answerable, max_depth, penalty)
    inputs, labels = [], []
    for kind, kind_records in (("answerable", answerable), ("unanswerable", records.unanswerable)):
        for record in kind_records:
            if not record.sentences:
                continue
            rows, right = rows_of(record, depth, penalty, max_gap)
            scores = rows @ weights
            articles = [sentence.doc for sentence in record.sentences[: len(rows)]]
            inputs.append(confidence_row(record.confidence, rows, scores, articles))
            labels.append(kind == "answerable" and bool(right[int(np.argmax(scores))]))
    inputs_array, labels_array = np.array(inputs), np.array(labels)
    logistic = LogisticRegression(C=CONFIDENCE_C, max_iter=CONFIDENCE_MAX_ITER).fit(
        inputs_array, labels_array
    )
    model = RerankModel(
        depth=depth,
        max_logit_gap=max_gap,
        overlap_penalty=penalty,
        weights=weights,
        confidence_weights=logistic.coef_[0],
        confidence_bias=float(logistic.intercept_[0]),
        min_score=MIN_SCORE,
        lead_bonus=LEAD_BONUS,  # not fitted: SQuAD has no wire stories (rag.qa.lead)
        lead_chars=LEAD_CHARS,
        info={
            "fitted_by": FITTED_BY,
            **records.info,
            "answerable_questions": len(answerable),
            "unanswerable_questions": len(records.unanswerable),
            "train_top1_ranker": round(baseline, 4),
            "train_top1_reranked": round(accuracy, 4),
            "train_sentences_read": round(
                float(np.mean([read_depth(r, depth, max_gap) for r in answerable])), 2
            ),
            "train_span_em_in_right_sentences": round(span_em, 4),
        },
    )
    probabilities = np.array([model.confidence(row) for row in inputs_array])
    answerable_rows = sum(1 for r in answerable if r.sentences)
    for threshold in REPORTED_THRESHOLDS:
        answered = probabilities >= threshold
        right_share = labels_array[answered].mean() if answered.any() else 0.0
        log.info(
            "  min_score %s: answerable abstain %.3f, unanswerable answered %.3f, right when answered %.3f",
            threshold,
            1 - answered[:answerable_rows].mean(),
            answered[answerable_rows:].mean() if len(answered) > answerable_rows else 0.0,
            right_share,
        )
    return model
