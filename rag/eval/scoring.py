"""Scoring answers against SQuAD references: per question (``judge``) and over a run
(``summarize``): sentence accuracy, EM/F1 (SQuAD v1.1 rules, ``rag.reader.squad``), abstention,
latency percentiles and the calibration of ``score``."""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from rag.eval.squad import SquadQuestion
from rag.reader.squad import exact_match, f1_score, normalize_answer
from rag.types import Answer

__all__ = [
    "CONFIDENT_SCORE",
    "AnswerScores",
    "QuestionResult",
    "ScoreBin",
    "best_guess",
    "exact_match",
    "f1_score",
    "judge",
    "normalize_answer",
    "percentile",
    "score_bins",
    "sentence_holds",
    "sentence_holds_strict",
    "summarize",
]


def sentence_holds_strict(sentence: str, references: Sequence[str]) -> bool:
    """True when a reference answer appears in ``sentence`` as whole words after SQuAD's
    normalization, which deletes punctuation: "Darwin's" becomes "darwins" and does not hold
    "Darwin". The check of every figure before 2026-12-03, and of training labels."""
    padded = f" {normalize_answer(sentence)} "
    return any(
        f" {normalize_answer(reference)} " in padded
        for reference in references
        if normalize_answer(reference)
    )


_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")


def _split_words(text: str) -> str:
    """SQuAD normalization with punctuation read as a word break ("Gano's 39-yard" -> "gano s 39 yard")."""
    return normalize_answer(_PUNCTUATION.sub(" ", text))


def sentence_holds(sentence: str, references: Sequence[str]) -> bool:
    """True when a reference answer appears in ``sentence`` as whole words: either as
    :func:`sentence_holds_strict` finds it, or with punctuation read as a word break on both
    sides, so that "Charles Darwin's theory" and "a temperature-dependent rate" hold the answers
    "Charles Darwin" and "temperature" (0.9 % of part A's questions had no sentence in their own
    paragraph that the strict check accepted)."""
    if sentence_holds_strict(sentence, references):
        return True
    padded = f" {_split_words(sentence)} "
    return any(f" {words} " in padded for reference in references if (words := _split_words(reference)))


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0..1) quantile by the nearest-rank method; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered) + 0.5)) - 1))]


@dataclass(frozen=True)
class QuestionResult:
    """How one question went (``answerable`` False in the unanswerable setting)."""

    question_id: str
    answerable: bool
    found: bool
    score: float
    sentence_correct: bool
    exact_match: float
    f1: float
    seconds: float
    #: the same sentence under :func:`sentence_holds_strict` (the figure before 2026-12-03)
    sentence_correct_strict: bool = False


@dataclass(frozen=True)
class AnswerScores:
    """Averages over the questions asked (see the module docstring for each figure)."""

    questions: int
    sentence_accuracy: float
    exact_match: float
    f1: float
    abstention_rate: float
    answered_sentence_accuracy: float
    answered_exact_match: float
    answered_f1: float
    latency_p50_ms: float
    latency_p95_ms: float
    confident_share: float
    confident_right: float
    score_bins: tuple[ScoreBin, ...] = ()
    #: sentence accuracy under :func:`sentence_holds_strict`, comparable with figures before 2026-12-03
    strict_sentence_accuracy: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {
            key: round(value, 4) if isinstance(value, float) else value
            for key, value in asdict(self).items()
            if key != "score_bins"
        } | {"score_bins": [score_bin.to_dict() for score_bin in self.score_bins]}


#: The score from which an answer counts as confident (the issue's calibration target: right at
#: least half the time from there up).
CONFIDENT_SCORE = 0.5
SCORE_BINS = 10


@dataclass(frozen=True)
class ScoreBin:
    """Questions whose ``score`` fell in ``[low, high)`` (the last bin includes 1.0): how many,
    their mean score, and the share answered right (see :func:`is_right`)."""

    low: float
    high: float
    questions: int
    mean_score: float
    right: float

    def to_dict(self) -> dict[str, float | int]:
        return {
            key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()
        }


def is_right(result: QuestionResult) -> bool:
    """For calibration: the answer's sentence holds a reference, and the corpus holds the answer
    (a question about an unindexed article is never answered right, whatever text matches)."""
    return result.answerable and result.sentence_correct


def score_bins(results: Sequence[QuestionResult], bins: int = SCORE_BINS) -> tuple[ScoreBin, ...]:
    """Calibration table of ``results`` in ``bins`` equal slices of ``[0, 1]`` (empty ones left out)."""
    grouped: dict[int, list[QuestionResult]] = collections.defaultdict(list)
    for result in results:
        grouped[min(int(result.score * bins), bins - 1)].append(result)
    return tuple(
        ScoreBin(
            low=number / bins,
            high=(number + 1) / bins,
            questions=len(members),
            mean_score=sum(member.score for member in members) / len(members),
            right=sum(is_right(member) for member in members) / len(members),
        )
        for number, members in sorted(grouped.items())
    )


def best_guess(answer: Answer) -> Answer | None:
    """The answer itself, or its best candidate when the answerer abstained."""
    if answer.found:
        return answer
    return answer.alternatives[0] if answer.alternatives else None


def judge(question: SquadQuestion, answer: Answer, seconds: float, answerable: bool = True) -> QuestionResult:
    """Score one answer against the question's references."""
    references = tuple(reference.text for reference in question.answers)
    guess = best_guess(answer)
    return QuestionResult(
        question_id=question.question_id,
        answerable=answerable,
        found=answer.found,
        score=answer.score,
        sentence_correct=bool(guess and sentence_holds(guess.sentence, references)),
        exact_match=exact_match(guess.text, references) if guess else 0.0,
        f1=f1_score(guess.text, references) if guess else 0.0,
        seconds=seconds,
        sentence_correct_strict=bool(guess and sentence_holds_strict(guess.sentence, references)),
    )


def summarize(results: Sequence[QuestionResult]) -> AnswerScores:
    """Averages of ``results``."""
    count = max(len(results), 1)
    answered = [result for result in results if result.found]
    answered_count = max(len(answered), 1)
    latencies = [result.seconds * 1000 for result in results]
    confident = [result for result in results if result.score >= CONFIDENT_SCORE]
    return AnswerScores(
        questions=len(results),
        sentence_accuracy=sum(result.sentence_correct for result in results) / count,
        exact_match=sum(result.exact_match for result in results) / count,
        f1=sum(result.f1 for result in results) / count,
        abstention_rate=sum(not result.found for result in results) / count,
        answered_sentence_accuracy=sum(result.sentence_correct for result in answered) / answered_count,
        answered_exact_match=sum(result.exact_match for result in answered) / answered_count,
        answered_f1=sum(result.f1 for result in answered) / answered_count,
        latency_p50_ms=percentile(latencies, 0.5),
        latency_p95_ms=percentile(latencies, 0.95),
        confident_share=len(confident) / count,
        confident_right=sum(is_right(result) for result in confident) / max(len(confident), 1),
        score_bins=score_bins(results),
        strict_sentence_accuracy=sum(result.sentence_correct_strict for result in results) / count,
    )
