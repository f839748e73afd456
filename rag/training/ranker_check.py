"""Check a freshly fitted ``QAModel`` on SQuAD dev part A through the real answerer (no reader).

Part A is answered on its whole corpus and in the unanswerable setting (half the paragraphs
indexed, the other half's questions asked); the report holds the scores, a reliability table
of ``score`` and what a few abstention thresholds would do. Nothing here is fitted on part A,
and the report is printed, not written into the model file (which stays a pure function of
the records).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from rag.embed.base import Embedder
from rag.eval.answers import evaluate_answers, split_half
from rag.eval.scoring import summarize
from rag.eval.squad import SquadSet
from rag.qa.answerer import QA
from rag.qa.model import QAModel
from rag.training.vectors import in_memory_index

#: Score bins of the reliability tables (the last edge is above 1 so that 1.0 falls in a bin).
RELIABILITY_BINS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0001)
#: Abstention thresholds compared in the report.
THRESHOLDS = (0.1, 0.2, 0.25, 0.3, 0.4, 0.5)
#: Seed of the question sample (``limit``) and of the indexed/held-out halves.
SEED = 0


def reliability(scores: Sequence[float], right: Sequence[bool]) -> list[dict[str, Any]]:
    """Per score bin: how many answers, their mean score, and how often they were right.

    Example:
        >>> reliability([0.05, 0.95], [False, True])[1]
        {'bin': '[0.9, 1.0)', 'answers': 1, 'mean_score': 0.95, 'right': 1.0}
    """
    table = []
    scores_array, right_array = np.asarray(scores), np.asarray(right, dtype=float)
    for low, high in zip(RELIABILITY_BINS, RELIABILITY_BINS[1:], strict=False):
        inside = (scores_array >= low) & (scores_array < high)
        if inside.any():
            table.append(
                {
                    "bin": f"[{low:.1f}, {min(high, 1.0):.1f})",
                    "answers": int(inside.sum()),
                    "mean_score": round(float(scores_array[inside].mean()), 3),
                    "right": round(float(right_array[inside].mean()), 3),
                }
            )
    return table


def check_on_part_a(
    model: QAModel, dev: SquadSet, embedder: Embedder, limit: int | None = None
) -> dict[str, Any]:
    """Answer ``dev`` (all questions, or ``limit`` sampled) with ``model`` and report how it does."""
    questions = list(dev.questions)
    if limit:
        questions = random.Random(SEED).sample(questions, min(limit, len(questions)))
    whole = evaluate_answers(QA(in_memory_index(dev.articles, embedder), model=model, reader=None), questions)
    indexed, held = split_half(dev, SEED)
    kept, held_set = set(indexed), set(held)
    half_index = in_memory_index([a for a in dev.articles if a.doc_id in kept], embedder)
    unanswerable = [q for q in questions if q.doc_id in held_set]
    away = evaluate_answers(QA(half_index, model=model, reader=None), unanswerable, answerable=False)
    whole_scores, away_scores = summarize(whole), summarize(away)
    thresholds = [
        {
            "min_score": threshold,
            "part_a_abstention": round(float(np.mean([r.score < threshold for r in whole])), 3),
            "part_a_answered_right": round(
                float(np.mean([float(r.sentence_correct) for r in whole if r.score >= threshold] or [0.0])), 3
            ),
            "unanswerable_abstention": round(float(np.mean([r.score < threshold for r in away])), 3),
        }
        for threshold in THRESHOLDS
    ]
    return {
        "summary": {
            "part_a_sentence_accuracy": round(whole_scores.sentence_accuracy, 4),
            "part_a_exact_match": round(whole_scores.exact_match, 4),
            "part_a_f1": round(whole_scores.f1, 4),
            "part_a_abstention": round(whole_scores.abstention_rate, 4),
            "part_a_unanswerable_abstention": round(away_scores.abstention_rate, 4),
        },
        "thresholds": thresholds,
        "part_a_whole_corpus": whole_scores.to_dict(),
        "part_a_unanswerable": away_scores.to_dict(),
        "reliability_part_a": reliability([r.score for r in whole], [r.sentence_correct for r in whole]),
        "reliability_part_a_with_unanswerable": reliability(
            [r.score for r in whole + away], [r.sentence_correct and r.answerable for r in whole + away]
        ),
    }
