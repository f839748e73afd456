"""SQuAD v1.1 files to training/evaluation examples, and the official EM/F1 answer metrics."""

from __future__ import annotations

import collections
import json
import re
import string
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SquadExample:
    """One question on one paragraph.

    ``answer_start``/``answer_text`` are the first annotated answer (the training target);
    ``answers`` holds every annotated answer text (for EM/F1).
    """

    question_id: str
    question: str
    context: str
    answer_start: int
    answer_text: str
    answers: tuple[str, ...]


def load_squad(path: Path) -> list[SquadExample]:
    """All questions of a SQuAD v1.1 JSON file, in file order.

    Raises:
        FileNotFoundError: naming the path when the file is missing.
    """
    if not path.is_file():
        raise FileNotFoundError(f"SQuAD file not found: {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    examples = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                examples.append(
                    SquadExample(
                        question_id=qa["id"],
                        question=qa["question"],
                        context=context,
                        answer_start=int(first["answer_start"]),
                        answer_text=first["text"],
                        answers=tuple(answer["text"] for answer in qa["answers"]),
                    )
                )
    return examples


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
