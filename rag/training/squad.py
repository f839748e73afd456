"""SQuAD v1.1 files to the span reader's training and check examples (one per question).

The answer metrics (EM/F1) live in ``rag.reader.squad``; the evaluations read the same files as
articles and questions with ``rag.eval.squad``.
"""

from __future__ import annotations

import gzip
import json
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
    """All questions of a SQuAD v1.1 JSON file (gzipped when it ends in ``.gz``), in file order.

    Raises:
        FileNotFoundError: naming the path when the file is missing.
    """
    if not path.is_file():
        raise FileNotFoundError(f"SQuAD file not found: {path}")
    data = json.loads(read_text(path))
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


def read_text(path: Path) -> str:
    """The UTF-8 text of ``path``, gunzipped when its name ends in ``.gz`` (files carried to a GPU
    machine travel gzipped)."""
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return handle.read()
    return path.read_text(encoding="utf-8")
