"""Hard negatives for the no-answer score: a question paired with a retrieved non-gold paragraph."""

from __future__ import annotations

import random
from collections.abc import Sequence

from rag.reader.squad import normalize_answer
from rag.training.squad import SquadExample

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
    ranked, _ = retriever.retrieve(queries, k=NEGATIVE_CANDIDATES, show_progress=False)
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
