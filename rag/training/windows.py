"""Training pairs for the reader's second stage, the sentence windows it reads in ``rag.ask``:
``rag train windows`` (module entry ``python -m rag.training.windows``).

The shipped reader is first trained on whole SQuAD paragraphs (``rag train reader``). In the
product it reads something else: the best few sentences of the sentence ranker, each inside a
window of its neighbours (``rag.qa.rerank.sentence_window``), and its "span vs no answer" margin
decides which sentence wins. This makes exactly those windows for SQuAD train questions, with
the whole train corpus indexed, labelled:

- the gold answer's span when the window holds its annotated position;
- "no answer" when no reference answer text appears in the window at all;
- left out when a reference text appears but not at an annotated position (ambiguous).

Questions the re-ranker fit samples (``rag train reranker``, answerable and unanswerable) are
left out, so that fit sees the reader on questions it was not tuned on. Writes JSON lines
``{"group", "question", "context", "answer_start", "answer_text"}`` (``answer_start`` -1 for "no
answer"; ``group``: the question id, shared by its windows), the input of
``rag train reader --pairs FILE --init DIR``.

Usage::

    rag train windows --questions 7748 --out /tmp/reader_windows.jsonl
"""

from __future__ import annotations

import argparse
import json
import logging
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag.eval.documents import join_paragraphs
from rag.eval.scoring import normalize_answer
from rag.eval.squad import SquadQuestion, SquadSet
from rag.index.filters import Filter
from rag.qa.answerer import QA
from rag.qa.rerank import sentence_window
from rag.training.paths import DEFAULT_CACHE_DIR, TRAIN_SUBSET, require_file
from rag.training.rerank_records import fit_questions
from rag.training.reranker import DEFAULT_ANSWERABLE, DEFAULT_UNANSWERABLE

DESCRIPTION = "Write the reader's stage-2 training windows (JSON lines) from SQuAD train."
#: Seed of the question sample.
WINDOW_SEED = 7
#: Top sentences per question whose windows are written (the shipped stage 2's).
DEFAULT_DEPTH = 5
DEFAULT_QUESTIONS = 5000
#: ``answer_start`` of a "no answer" window.
NO_ANSWER_START = -1


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """The options of ``rag train windows``, added to ``parser`` or to a new one."""
    parser = parser or argparse.ArgumentParser(prog="python -m rag.training.windows", description=DESCRIPTION)
    parser.add_argument("--out", type=Path, required=True, help="JSON-lines file to write")
    parser.add_argument("--train", type=Path, default=TRAIN_SUBSET, help="SQuAD v1.1 train JSON")
    parser.add_argument(
        "--questions", type=int, default=DEFAULT_QUESTIONS, help="train questions to make windows for"
    )
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="top sentences per question")
    parser.add_argument(
        "--fit-answerable", type=int, default=DEFAULT_ANSWERABLE, help="rag train reranker --limit"
    )
    parser.add_argument(
        "--fit-unanswerable", type=int, default=DEFAULT_UNANSWERABLE, help="rag train reranker --unanswerable"
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE_DIR, help="folder of embedding vectors")
    parser.add_argument(
        "--setting",
        choices=("open", "document", "closed"),
        default="open",
        help="what is indexed and searched, as in `rag eval answers --setting`: paragraphs (open), "
        "600-800-word documents joined from consecutive paragraphs (document), or each question's "
        "own document only (closed): article-shaped windows for news",
    )
    return parser


def fit_question_ids(train: SquadSet, answerable: int, unanswerable: int) -> set[str]:
    """The question ids ``rag train reranker`` samples with the same sizes."""
    chosen, _, away = fit_questions(train, answerable, unanswerable)
    return {q.question_id for q in chosen} | {q.question_id for q in away}


def window_pairs(qa: QA, question: SquadQuestion, depth: int, closed: bool = False) -> list[dict[str, Any]]:
    """Labelled windows of the ranker's top ``depth`` sentences for one question (``closed``:
    searching only the question's own document)."""
    filters = Filter(doc_ids=(question.doc_id,)) if closed else None
    ranking = qa.rank(question.question, filters=filters)
    pairs, seen = [], set()
    references = [
        normalize_answer(answer.text) for answer in question.answers if normalize_answer(answer.text)
    ]
    for number, position in enumerate(ranking.order[:depth]):
        candidate = ranking.candidates[int(position)]
        window = sentence_window(candidate, number)
        key = (window.doc_id, window.start, window.end)
        if key in seen:
            continue
        seen.add(key)
        context = candidate.article.text[window.start : window.end]
        inside = [
            answer
            for answer in question.answers
            if window.doc_id == question.doc_id and window.start <= answer.start and answer.end <= window.end
        ]
        pair = {"group": question.question_id, "question": question.question, "context": context}
        if inside:
            pairs.append(
                {**pair, "answer_start": inside[0].start - window.start, "answer_text": inside[0].text}
            )
        elif not any(f" {reference} " in f" {normalize_answer(context)} " for reference in references):
            pairs.append({**pair, "answer_start": NO_ANSWER_START, "answer_text": ""})
    return pairs


def run(args: argparse.Namespace) -> int:
    """Write the windows of ``--questions`` sampled train questions to ``--out``.

    Raises:
        FileNotFoundError: the train file is missing.
    """
    from rag.eval.squad import load_squad
    from rag.training.vectors import backend_cache, in_memory_index

    train = load_squad(require_file(args.train, "the SQuAD train file"))
    excluded = fit_question_ids(train, args.fit_answerable, args.fit_unanswerable)
    if args.setting != "open":
        train = join_paragraphs(train)  # question ids stay; the answers move into the documents
    pool = [q for q in train.questions if q.question_id not in excluded and q.answers]
    chosen = random.Random(WINDOW_SEED).sample(pool, min(args.questions, len(pool)))
    embedder = backend_cache(args.cache)
    qa = QA(in_memory_index(train.articles, embedder), reader=None)
    positives = negatives = 0
    with args.out.open("w", encoding="utf-8") as out:
        for question in chosen:
            for pair in window_pairs(qa, question, args.depth, closed=args.setting == "closed"):
                out.write(json.dumps(pair) + "\n")
                positives += pair["answer_start"] >= 0
                negatives += pair["answer_start"] < 0
    embedder.save()
    print(
        f"{len(chosen)} questions (of {len(pool)} not used by the re-ranker fit): "
        f"{positives} answer windows, {negatives} no-answer windows -> {args.out}"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rag.training.windows --out FILE [options]``."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
