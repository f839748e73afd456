"""``rag eval answers FILE.json``: answer quality and latency on a SQuAD-format file.

Every SQuAD paragraph is one article and every question is asked against the whole corpus
through :class:`rag.QA`, like any user would. Printed (``--json`` too):

- sentence accuracy: the answer's sentence (or, when the answerer abstained, its best
  candidate's) contains a reference answer (SQuAD-normalized, whole words);
- exact match and F1 of the answer text against the references (SQuAD v1.1 script rules),
  with the same fallback to the best candidate when abstaining;
- abstention rate (``found=False``) and the same scores over answered questions only;
- latency p50/p95 of ``QA.ask`` (nothing is cached between questions: sentence vectors are
  read from the index, embedded once at indexing time).

The shipped span reader re-ranks and picks spans as in ``rag.ask``; ``--no-reader`` measures the
sentence-level answerer alone (``QA(index, reader=None)``).

``--unanswerable`` instead indexes half of the paragraphs (every other one, in a seeded
shuffle) and asks the questions of the other half, which the corpus cannot answer: the
abstention rate there should be high.
"""

from __future__ import annotations

import collections
import hashlib
import json
import random
import re
import string
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.eval.squad import DEFAULT_SEED, SquadQuestion, SquadSet, load_squad, sample_questions
from rag.qa import QA
from rag.qa.answerer import SHIPPED_READER
from rag.types import Answer

CACHE_FOLDER = Path("benchmarks") / ".cache"
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD v1.1 normalization: lower case, no punctuation, no articles, single spaces."""
    text = "".join(character for character in text.lower() if character not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, references: Sequence[str]) -> float:
    """1.0 when ``prediction`` equals a reference after normalization, else 0.0."""
    normalized = normalize_answer(prediction)
    return float(any(normalized == normalize_answer(reference) for reference in references))


def f1_score(prediction: str, references: Sequence[str]) -> float:
    """Best token-overlap F1 of ``prediction`` against the references (SQuAD v1.1 rules)."""
    predicted = normalize_answer(prediction).split()
    best = 0.0
    for reference in references:
        expected = normalize_answer(reference).split()
        common = sum((collections.Counter(predicted) & collections.Counter(expected)).values())
        if common:
            precision, recall = common / len(predicted), common / len(expected)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def sentence_holds(sentence: str, references: Sequence[str]) -> bool:
    """True when a reference answer appears in ``sentence`` as whole normalized words."""
    padded = f" {normalize_answer(sentence)} "
    return any(
        f" {normalize_answer(reference)} " in padded
        for reference in references
        if normalize_answer(reference)
    )


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

    def to_dict(self) -> dict[str, float | int]:
        return {
            key: round(value, 4) if isinstance(value, float) else value for key, value in asdict(self).items()
        }


def best_guess(answer: Answer) -> Answer | None:
    """The answer itself, or its best candidate when the answerer abstained."""
    if answer.found:
        return answer
    return answer.alternatives[0] if answer.alternatives else None


def judge(question: SquadQuestion, answer: Answer, seconds: float, answerable: bool = True) -> QuestionResult:
    """Score one answer against the question's references."""
    references = [reference.text for reference in question.answers]
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
    )


def summarize(results: Sequence[QuestionResult]) -> AnswerScores:
    """Averages of ``results``."""
    count = max(len(results), 1)
    answered = [result for result in results if result.found]
    answered_count = max(len(answered), 1)
    latencies = [result.seconds * 1000 for result in results]
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
    )


def evaluate_answers(
    qa: QA,
    questions: Sequence[SquadQuestion],
    answerable: bool = True,
    progress: bool = False,
) -> list[QuestionResult]:
    """Ask every question through ``qa`` and judge the answers (with each one's latency)."""
    from tqdm import tqdm

    results = []
    for question in tqdm(questions, desc="questions", disable=not progress, file=sys.stderr):
        started = time.perf_counter()
        answer = qa.ask(question.question)
        results.append(judge(question, answer, time.perf_counter() - started, answerable))
    return results


def split_half(data: SquadSet, seed: int = DEFAULT_SEED) -> tuple[list[str], list[str]]:
    """Paragraph ids split in two halves (seeded shuffle): (indexed, held out)."""
    ids = [article.doc_id for article in data.articles]
    random.Random(seed).shuffle(ids)
    middle = len(ids) // 2
    return sorted(ids[:middle]), sorted(ids[middle:])


def cache_dir(squad_file: Path, variant: str) -> Path:
    """``benchmarks/.cache/<variant>-<stem>-<hash of the path>`` under the project root."""
    from rag.config import PROJECT_ROOT

    digest = hashlib.sha256(str(squad_file.resolve()).encode()).hexdigest()[:8]
    return PROJECT_ROOT / CACHE_FOLDER / f"{variant}-{squad_file.stem}-{digest}"


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser(
        "answers", help="answer-sentence accuracy, span EM/F1, abstention and latency on a SQuAD file"
    )
    parser.add_argument("file", type=Path, help="SQuAD v1.1-format JSON (e.g. ../shared/eval/...)")
    parser.add_argument("--limit", type=int, help="ask only this many questions, sampled with --seed")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="sampling seed (default %(default)s)")
    parser.add_argument("-k", type=int, default=None, help="passages retrieved per question (default: QA's)")
    parser.add_argument(
        "--min-score", type=float, default=None, help="abstention threshold (default: the model's)"
    )
    parser.add_argument(
        "--unanswerable",
        action="store_true",
        help="index half the paragraphs, ask the other half's questions",
    )
    readers = parser.add_mutually_exclusive_group()
    readers.add_argument(
        "--no-reader", action="store_true", help="answer at sentence level, without the trained span reader"
    )
    readers.add_argument("--reader", action="store_true", help="use the trained span reader (the default)")
    parser.add_argument(
        "--index-dir", type=Path, help="where to keep the evaluation index (default: benchmarks/.cache)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args) -> int:  # type: ignore[no-untyped-def]
    from rag.eval.retrieval import default_cache_dir
    from rag.index import build_index

    data = load_squad(args.file)
    if args.unanswerable:
        indexed, held_out = split_half(data, args.seed)
        kept = set(indexed)
        articles = [article for article in data.articles if article.doc_id in kept]
        pool = [question for question in data.questions if question.doc_id in set(held_out)]
        index_dir = args.index_dir or cache_dir(args.file, "answers-half")
    else:
        articles = list(data.articles)
        pool = list(data.questions)
        index_dir = args.index_dir or default_cache_dir(args.file)
    questions = sample_questions(pool, args.limit, args.seed)
    index = build_index(articles, index_dir, progress=not args.json)
    reader = None if args.no_reader else SHIPPED_READER
    qa = QA(index, **({"k": args.k} if args.k else {}), min_score=args.min_score, reader=reader)
    results = evaluate_answers(
        qa, questions, answerable=not args.unanswerable, progress=not args.json
    )
    scores = summarize(results)
    setting = "unanswerable (other half indexed)" if args.unanswerable else "whole corpus"
    if args.json:
        report = {
            "file": str(args.file),
            "setting": setting,
            "of_questions": len(pool),
            "seed": args.seed,
            "passages": len(articles),
            "k": qa.k,
            "min_score": qa.min_score,
            "reader": qa.reader is not None,
            **scores.to_dict(),
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{args.file.name}: {scores.questions} of {len(pool)} questions, {setting}; "
        f"{len(articles)} passages; k={qa.k}, min_score={qa.min_score:.2f}{', span reader' if qa.reader is not None else ''}"
    )
    print(
        f"sentence accuracy  {scores.sentence_accuracy:.3f}   (answered only: {scores.answered_sentence_accuracy:.3f})"
    )
    print(f"exact match        {scores.exact_match:.3f}   (answered only: {scores.answered_exact_match:.3f})")
    print(f"F1                 {scores.f1:.3f}   (answered only: {scores.answered_f1:.3f})")
    print(f"abstention rate    {scores.abstention_rate:.3f}")
    print(f"latency            p50 {scores.latency_p50_ms:.1f} ms, p95 {scores.latency_p95_ms:.1f} ms")
    return 0
