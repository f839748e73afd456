"""``rag eval answers FILE.json``: answer quality and latency on a SQuAD-format file.

Three settings (``--setting``), each asking every question through :class:`rag.QA` like a user:

- ``open`` (default): every SQuAD paragraph (~120 words) is one article; the whole corpus is searched;
- ``document``: consecutive paragraphs of a page joined into news-length articles of 600–800 words
  (``rag.eval.documents``); the whole corpus is searched;
- ``closed``: the same documents, each question searching only its own (a user asking about the
  one article they uploaded).

Printed (``--json`` too):

- sentence accuracy: the answer's sentence (or, when the answerer abstained, its best
  candidate's) contains a reference answer (SQuAD-normalized, whole words, punctuation read as a
  word break: ``rag.eval.scoring.sentence_holds``); the strict figure of runs before 2026-12-03,
  which deleted punctuation ("Darwin's" did not hold "Darwin"), is printed beside it;
- exact match and F1 of the answer text against the references (SQuAD v1.1 script rules),
  with the same fallback to the best candidate when abstaining;
- abstention rate (``found=False``) and the same scores over answered questions only;
- latency p50/p95 of ``QA.ask`` (nothing is cached between questions: sentence vectors are
  read from the index, embedded once at indexing time);
- calibration: how often the answer is right (its sentence holds a reference; never, for a
  question the corpus cannot answer) in each tenth of ``score``, and among answers scoring
  at least 0.5, which the confidence is fitted to get right at least half the time.
- the same figures per question group of ``rag.eval.overlap`` (how many of the question's
  words its answer sentence holds: paraphrased, partly shared, lexical), answerable runs only.

The shipped span reader re-ranks and picks spans as in ``rag.ask``; ``--no-reader`` measures the
sentence-level answerer alone (``QA(index, reader=None)``).

``--unanswerable`` instead indexes half of the paragraphs (every other one, in a seeded
shuffle) and asks the questions of the other half, which the corpus cannot answer: the
abstention rate there should be high.
"""

from __future__ import annotations

import contextlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TextIO

from rag.eval.documents import DOCUMENT_MAX_WORDS, DOCUMENT_MIN_WORDS, join_paragraphs
from rag.eval.overlap import group_report, scores_by_overlap
from rag.eval.scoring import CONFIDENT_SCORE, QuestionResult, best_guess, judge, summarize
from rag.eval.squad import (
    DEFAULT_SEED,
    SquadQuestion,
    SquadSet,
    add_squad_arguments,
    cache_dir,
    load_squad,
    sample_questions,
)
from rag.index.filters import Filter
from rag.qa import QA
from rag.qa.answerer import SHIPPED_READER
from rag.types import Answer


def evaluate_answers(
    qa: QA,
    questions: Sequence[SquadQuestion],
    answerable: bool = True,
    progress: bool = False,
    closed: bool = False,
    details: TextIO | None = None,
) -> list[QuestionResult]:
    """Ask every question through ``qa`` and judge the answers (with each one's latency).

    ``closed``: each question searches only its own document (``Filter(doc_ids=...)``), as when
    a user asks about the one article they uploaded. ``details``: one JSON line per question is
    written there (:func:`detail_line`).
    """
    from tqdm import tqdm

    results = []
    for question in tqdm(questions, desc="questions", disable=not progress, file=sys.stderr):
        filters = Filter(doc_ids=(question.doc_id,)) if closed else None
        started = time.perf_counter()
        answer = qa.ask(question.question, filters=filters)
        result = judge(question, answer, time.perf_counter() - started, answerable)
        results.append(result)
        if details is not None:
            details.write(json.dumps(detail_line(question, answer, result), ensure_ascii=False) + "\n")
    return results


def detail_line(question: SquadQuestion, answer: Answer, result: QuestionResult) -> dict[str, object]:
    """What ``--details`` keeps of one question: the question and its references, the answer (or
    the best candidate scored in its place when abstaining), which article it came from, the note
    a found answer carries, and the judgement."""
    guess = best_guess(answer)
    return {
        "id": question.question_id,
        "question": question.question,
        "references": sorted({reference.text for reference in question.answers}),
        "doc_id": question.doc_id,
        "answer": guess.text if guess else "",
        "sentence": guess.sentence if guess else "",
        "answer_doc_id": guess.citations[0].doc_id if guess and guess.citations else None,
        "note": answer.message if answer.found else "",  # e.g. several stories could be meant
        **{key: value for key, value in asdict(result).items() if key not in ("question_id", "seconds")},
        "ms": round(result.seconds * 1000, 1),
    }


def split_half(data: SquadSet, seed: int = DEFAULT_SEED) -> tuple[list[str], list[str]]:
    """Paragraph ids split in two halves (seeded shuffle): (indexed, held out)."""
    ids = [article.doc_id for article in data.articles]
    random.Random(seed).shuffle(ids)
    middle = len(ids) // 2
    return sorted(ids[:middle]), sorted(ids[middle:])


#: ``--setting`` values: what is indexed as one article, and what a question searches.
SETTINGS = ("open", "document", "closed")
SETTING_NAMES = {
    "open": "whole corpus",
    "document": f"article-length documents ({DOCUMENT_MIN_WORDS}-{DOCUMENT_MAX_WORDS} words), whole corpus",
    "closed": "article-length documents, each question searching its own",
}


def register(subparsers) -> None:  # type: ignore[no-untyped-def]
    parser = subparsers.add_parser(
        "answers", help="answer-sentence accuracy, span EM/F1, abstention and latency on a SQuAD file"
    )
    add_squad_arguments(parser)
    parser.add_argument("-k", type=int, default=None, help="passages retrieved per question (default: QA's)")
    parser.add_argument(
        "--min-score", type=float, default=None, help="abstention threshold (default: the model's)"
    )
    parser.add_argument(
        "--setting",
        choices=SETTINGS,
        default="open",
        help="open: every paragraph is an article, whole corpus searched (default); document: "
        f"consecutive paragraphs of a page joined into {DOCUMENT_MIN_WORDS}-{DOCUMENT_MAX_WORDS}-word "
        "articles, whole corpus searched; closed: the same articles, each question searching only "
        "its own",
    )
    parser.add_argument(
        "--unanswerable",
        action="store_true",
        help="index half the paragraphs, ask the other half's questions",
    )
    parser.add_argument(
        "--details",
        type=Path,
        help="also write one JSON line per question (question, references, answer, sentence, judgement)",
    )
    readers = parser.add_mutually_exclusive_group()
    readers.add_argument(
        "--no-reader", action="store_true", help="answer at sentence level, without the trained span reader"
    )
    readers.add_argument("--reader", action="store_true", help="use the trained span reader (the default)")
    parser.set_defaults(run=run)


def run(args) -> int:  # type: ignore[no-untyped-def]
    from rag.eval.retrieval import default_cache_dir
    from rag.index import build_index

    data = load_squad(args.file)
    if args.setting != "open":
        if args.unanswerable:
            raise SystemExit("rag eval answers: --unanswerable works with --setting open only")
        data = join_paragraphs(data)
    if args.unanswerable:
        indexed, held_out = split_half(data, args.seed)
        kept = set(indexed)
        articles = [article for article in data.articles if article.doc_id in kept]
        pool = [question for question in data.questions if question.doc_id in set(held_out)]
        index_dir = args.index_dir or cache_dir(args.file, "answers-half")
    else:
        articles = list(data.articles)
        pool = list(data.questions)
        index_dir = args.index_dir or (
            default_cache_dir(args.file) if args.setting == "open" else cache_dir(args.file, "documents")
        )
    questions = sample_questions(pool, args.limit, args.seed)
    index = build_index(articles, index_dir, progress=not args.json)
    reader = None if args.no_reader else SHIPPED_READER
    qa = QA(index, **({"k": args.k} if args.k else {}), min_score=args.min_score, reader=reader)
    with contextlib.ExitStack() as stack:
        details = stack.enter_context(args.details.open("w", encoding="utf-8")) if args.details else None
        results = evaluate_answers(
            qa,
            questions,
            answerable=not args.unanswerable,
            progress=not args.json,
            closed=args.setting == "closed",
            details=details,
        )
    scores = summarize(results)
    # For unanswerable questions the answer sentence is in an unindexed article: no groups.
    groups = (
        {}
        if args.unanswerable
        else scores_by_overlap(questions, results, {article.doc_id: article.text for article in articles})
    )
    setting = "unanswerable (other half indexed)" if args.unanswerable else SETTING_NAMES[args.setting]
    if args.json:
        report = {
            "file": str(args.file),
            "setting": args.setting,
            "setting_description": setting,
            "of_questions": len(pool),
            "seed": args.seed,
            "articles": len(articles),
            "k": qa.k,
            "min_score": qa.min_score,
            "reader": qa.reader is not None,
            **scores.to_dict(),
            "by_overlap": {name: group_report(group) for name, group in groups.items()},
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{args.file.name}: {scores.questions} of {len(pool)} questions, {setting}; "
        f"{len(articles)} articles; k={qa.k}, min_score={qa.min_score:.2f}{', span reader' if qa.reader is not None else ''}"
    )
    print(
        f"sentence accuracy  {scores.sentence_accuracy:.3f}   (answered only: {scores.answered_sentence_accuracy:.3f}; "
        f"strict, punctuation deleted as before 2026-12-03: {scores.strict_sentence_accuracy:.3f})"
    )
    print(f"exact match        {scores.exact_match:.3f}   (answered only: {scores.answered_exact_match:.3f})")
    print(f"F1                 {scores.f1:.3f}   (answered only: {scores.answered_f1:.3f})")
    print(f"abstention rate    {scores.abstention_rate:.3f}")
    print(f"latency            p50 {scores.latency_p50_ms:.1f} ms, p95 {scores.latency_p95_ms:.1f} ms")
    print(
        f"score >= {CONFIDENT_SCORE}       {scores.confident_share:.3f} of questions, right {scores.confident_right:.3f}"
    )
    if groups:
        print("question words in the answer sentence: sentence acc / EM / F1, abstention, score >= 0.5 right")
        for name, group in groups.items():
            print(
                f"  {name:14s} {group.questions:5d} questions  {group.sentence_accuracy:.3f} / "
                f"{group.exact_match:.3f} / {group.f1:.3f}  abstained {group.abstention_rate:.3f}  "
                f"right {group.confident_right:.3f}"
            )
    print("score bin     questions  mean score  right")
    for score_bin in scores.score_bins:
        print(
            f"[{score_bin.low:.1f}, {score_bin.high:.1f})  {score_bin.questions:9d}  {score_bin.mean_score:10.3f}  "
            f"{score_bin.right:5.3f}"
        )
    return 0
