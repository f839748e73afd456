"""How much a question shares with the sentence that answers it, and scores per overlap group.

SQuAD questions were written while reading the paragraph, so most repeat the answer sentence's
words; news questions written from a headline do not. ``rag eval answers`` therefore also reports
its figures per group of :data:`OVERLAP_GROUPS`: the share of the question's content words (stems,
stopwords left out) that the reference answer's sentence holds. The paraphrased group is the
closest a SQuAD file comes to questions asked by someone who has not read the article.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.chunk import split_sentences
from rag.eval.scoring import AnswerScores, QuestionResult, summarize
from rag.eval.squad import SquadQuestion
from rag.qa.text import content_stems
from rag.types import Span


@dataclass(frozen=True)
class OverlapGroup:
    """Questions whose overlap with their answer sentence is in ``[low, high)``."""

    name: str
    low: float
    high: float

    def holds(self, overlap: float) -> bool:
        return self.low <= overlap < self.high


#: The groups reported, lowest overlap first (about 23 / 32 / 45 % of SQuAD dev part A).
OVERLAP_GROUPS: tuple[OverlapGroup, ...] = (
    OverlapGroup("paraphrased", 0.0, 0.5),
    OverlapGroup("partly shared", 0.5, 0.75),
    OverlapGroup("lexical", 0.75, math.inf),
)
#: Figures kept per group in the report (the whole-run ones are in :class:`AnswerScores`).
GROUP_FIGURES = (
    "questions",
    "sentence_accuracy",
    "exact_match",
    "f1",
    "abstention_rate",
    "confident_share",
    "confident_right",
    "latency_p50_ms",
)


def answer_sentence_overlap(
    question: SquadQuestion, text: str, sentences: Sequence[Span] | None = None
) -> float | None:
    """Share of ``question``'s content stems found in the sentence of ``text`` (its article) that
    holds the first reference answer; None when the question has no content word or the answer's
    offset is outside every sentence. ``sentences``: ``split_sentences(text)``, when the caller
    has it already (splitting a long article costs more than the rest).

    Example:
        >>> from rag.eval.squad import SquadAnswer
        >>> question = SquadQuestion("q", "When did the war end?", "d", (SquadAnswer("1953", 19),))
        >>> answer_sentence_overlap(question, "The fighting ended 1953. It was over.")
        0.5
    """
    stems = set(content_stems(question.question))
    if not stems or not question.answers:
        return None
    start = question.answers[0].start
    for sentence in split_sentences(text) if sentences is None else sentences:
        if sentence.start <= start < sentence.end:
            return len(stems & set(content_stems(text[sentence.start : sentence.end]))) / len(stems)
    return None


def scores_by_overlap(
    questions: Sequence[SquadQuestion], results: Sequence[QuestionResult], texts: Mapping[str, str]
) -> dict[str, AnswerScores]:
    """``summarize`` of ``results`` per :data:`OVERLAP_GROUPS` (``texts``: article text by
    ``doc_id``, as indexed). Questions without an overlap and empty groups are left out."""
    sentences: dict[str, list[Span]] = {}
    overlaps = {}
    for question in questions:
        if question.doc_id not in texts:
            continue
        text = texts[question.doc_id]
        if question.doc_id not in sentences:
            sentences[question.doc_id] = split_sentences(text)
        overlaps[question.question_id] = answer_sentence_overlap(question, text, sentences[question.doc_id])
    grouped: dict[str, AnswerScores] = {}
    for group in OVERLAP_GROUPS:
        members = [
            result
            for result in results
            if (overlap := overlaps.get(result.question_id)) is not None and group.holds(overlap)
        ]
        if members:
            grouped[group.name] = summarize(members)
    return grouped


def group_report(scores: AnswerScores) -> dict[str, object]:
    """The :data:`GROUP_FIGURES` of one group, rounded as in the JSON report."""
    figures = scores.to_dict()
    return {name: figures[name] for name in GROUP_FIGURES}
