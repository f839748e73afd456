"""SQuAD v1.1's official answer metrics: normalization, exact match and token F1.

Evaluation (``rag.eval.scoring``) and training's periodic check (``rag.training.closed_eval``)
score answers with these; the SQuAD files themselves are read by ``rag.eval.squad`` (articles
and questions) and ``rag.training.squad`` (reader training examples).
"""

from __future__ import annotations

import collections
import re
import string


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lower case, drop punctuation, articles and extra white space."""
    text = text.lower()
    text = "".join(character for character in text if character not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold_answers: tuple[str, ...]) -> float:
    """1.0 when the normalized prediction equals any normalized gold answer, else 0.0."""
    return float(any(normalize_answer(prediction) == normalize_answer(gold) for gold in gold_answers))


def f1_score(prediction: str, gold_answers: tuple[str, ...]) -> float:
    """Best token-overlap F1 of the prediction against the gold answers (official SQuAD script)."""
    best = 0.0
    predicted_tokens = normalize_answer(prediction).split()
    for gold in gold_answers:
        gold_tokens = normalize_answer(gold).split()
        common = collections.Counter(predicted_tokens) & collections.Counter(gold_tokens)
        overlap = sum(common.values())
        if overlap == 0:
            continue
        precision = overlap / len(predicted_tokens)
        recall = overlap / len(gold_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best
