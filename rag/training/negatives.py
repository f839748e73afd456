"""Hard negatives for the no-answer score: a question paired with a retrieved non-gold paragraph."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence
from pathlib import Path

from rag.reader.squad import normalize_answer
from rag.training.squad import SquadExample, read_text

#: Paragraphs retrieved per question before the gold one and answer-bearing ones are skipped.
NEGATIVE_CANDIDATES = 5


def bm25_negatives(examples: Sequence[SquadExample], fraction: float, seed: int) -> list[tuple[str, str]]:
    """(question, paragraph) pairs whose paragraph is a BM25-retrieved non-gold paragraph.

    A random ``fraction`` of the examples (fixed by ``seed``) gets the best-ranked paragraph of
    the same collection that is neither the gold paragraph nor contains any gold answer text
    (so the pair really has no answer).
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    import bm25s
    import Stemmer

    chosen = random.Random(seed).sample(range(len(examples)), round(fraction * len(examples)))
    if not chosen:
        return []
    paragraphs = sorted({example.context for example in examples})
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(paragraphs, stemmer=stemmer, show_progress=False), show_progress=False)
    queries = bm25s.tokenize(
        [examples[index].question for index in chosen], stemmer=stemmer, show_progress=False
    )
    ranked, _ = retriever.retrieve(queries, k=min(NEGATIVE_CANDIDATES, len(paragraphs)), show_progress=False)
    pairs = []
    for row, index in enumerate(chosen):
        example = examples[index]
        gold = [normalize_answer(answer) for answer in example.answers]
        for paragraph_id in ranked[row]:
            paragraph = paragraphs[int(paragraph_id)]
            if paragraph == example.context or any(g and g in normalize_answer(paragraph) for g in gold):
                continue
            pairs.append((example.question, paragraph))
            break
    return pairs


def write_negatives(path: Path, examples: Sequence[SquadExample], pairs: Sequence[tuple[str, str]]) -> None:
    """Save ``pairs`` (from :func:`bm25_negatives` over ``examples``) as indices, JSON (gzipped when
    ``path`` ends in ``.gz``): each pair is [first example asking its question, position of its
    paragraph among the sorted distinct paragraphs], so the file is small enough to carry.

    Raises:
        ValueError: a pair's question or paragraph is not among ``examples``.
    """
    questions: dict[str, int] = {}
    for number, example in enumerate(examples):
        questions.setdefault(example.question, number)
    paragraphs = {text: number for number, text in enumerate(sorted({e.context for e in examples}))}
    try:
        rows = [[questions[question], paragraphs[paragraph]] for question, paragraph in pairs]
    except KeyError as error:
        raise ValueError(f"a negative pair is not from these examples: {str(error)[:80]}") from error
    text = json.dumps({"format": 1, "examples": len(examples), "pairs": rows}, separators=(",", ":"))
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    else:
        path.write_text(text, encoding="utf-8")


def read_negatives(path: Path, examples: Sequence[SquadExample]) -> list[tuple[str, str]]:
    """The (question, paragraph) pairs that :func:`write_negatives` saved for ``examples``.

    Raises:
        FileNotFoundError: naming ``path``.
        ValueError: the file was written for another set of examples.
    """
    if not path.is_file():
        raise FileNotFoundError(f"negatives file not found: {path}")
    data = json.loads(read_text(path))
    if data.get("format") != 1 or data.get("examples") != len(examples):
        raise ValueError(
            f"{path} was written for {data.get('examples')} questions, not these {len(examples)}"
        )
    paragraphs = sorted({example.context for example in examples})
    return [(examples[question].question, paragraphs[paragraph]) for question, paragraph in data["pairs"]]
