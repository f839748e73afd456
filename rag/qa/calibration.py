"""Confidence: how likely the top-ranked sentence holds the answer, as a probability.

The sentence ranker orders candidates within one question; whether the best of them is
right at all depends on summaries across the ranking (how clear the winner is, how much of
the question it covers, whether the question's words exist in the corpus at all). A small
logistic model over those summaries, fitted on SQuAD train with unanswerable questions
mixed in and checked on part A (``rag train ranker``), turns them into ``score``.
"""

from __future__ import annotations

import math

import numpy as np

from rag.qa.features import FEATURE_NAMES

CONFIDENCE_FEATURES: tuple[str, ...] = (
    "top_logit",
    "top_share",
    "margin",
    "top_overlap_idf",
    "top_overlap_fraction",
    "top_bigram_overlap",
    "top_dense_cosine",
    "top_passage_dense",
    "top_type_match",
    "unseen_weight",
    "log_question_words",
    "same_passage_runner_up",
)

_COLUMN = {name: position for position, name in enumerate(FEATURE_NAMES)}
#: ``margin`` when there is one candidate only: a clear lead (fitted models saw this value).
LONE_CANDIDATE_MARGIN = 10.0


def confidence_features(
    features: np.ndarray,
    logits: np.ndarray,
    passage_keys: list[str],
    unseen_weight: float,
    question_words: int,
) -> np.ndarray:
    """One row of :data:`CONFIDENCE_FEATURES` for a question's ranked candidates.

    Arguments:
        features: sentence feature matrix (rows in any order).
        logits: the sentence ranker's logit per row.
        passage_keys: the article id of each row's sentence.
        unseen_weight: share of the question's word weight from words absent from the corpus.
        question_words: number of content words in the question.
    """
    row = np.zeros((1, len(CONFIDENCE_FEATURES)), dtype=np.float64)
    if len(logits) == 0:
        row[0, CONFIDENCE_FEATURES.index("unseen_weight")] = unseen_weight
        return row
    order = np.argsort(-logits, kind="stable")
    top = order[0]
    shifted = np.exp(logits - logits[top])
    values = {
        "top_logit": float(logits[top]),
        "top_share": float(1.0 / shifted.sum()),
        "margin": float(logits[top] - logits[order[1]]) if len(order) > 1 else LONE_CANDIDATE_MARGIN,
        "top_overlap_idf": features[top, _COLUMN["overlap_idf"]],
        "top_overlap_fraction": features[top, _COLUMN["overlap_fraction"]],
        "top_bigram_overlap": features[top, _COLUMN["bigram_overlap"]],
        "top_dense_cosine": features[top, _COLUMN["dense_cosine"]],
        "top_passage_dense": features[top, _COLUMN["passage_dense"]],
        "top_type_match": features[top, _COLUMN["type_match"]],
        "unseen_weight": unseen_weight,
        "log_question_words": math.log1p(question_words),
        "same_passage_runner_up": float(len(order) > 1 and passage_keys[order[1]] == passage_keys[top]),
    }
    for position, name in enumerate(CONFIDENCE_FEATURES):
        row[0, position] = values[name]
    return row
