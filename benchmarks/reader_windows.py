"""Training pairs for the reader's second stage: the sentence windows it reads in ``rag.ask``.

The shipped reader is first trained on whole SQuAD paragraphs (``rag train-reader``). In the
product it reads something else: the best few sentences of the sentence ranker, each inside a
window of its neighbours (``rag.qa.rerank.sentence_window``), and its "span vs no answer" margin
decides which sentence wins. This script makes exactly those windows for SQuAD train questions,
with the whole train corpus indexed (as ``benchmarks/calibrate.py`` does), labelled:

- the gold answer's span when the window holds its annotated position;
- "no answer" when no reference answer text appears in the window at all;
- left out when a reference text appears but not at an annotated position (ambiguous).

Questions used by ``benchmarks/fit_reader_rank.py`` (the re-ranker fit, answerable and
unanswerable samples) are left out, so that fit sees the reader on questions it was not tuned on.
Writes JSON lines ``{"group", "question", "context", "answer_start", "answer_text"}``
(``answer_start`` -1 for "no answer"; ``group``: the question id, shared by its windows), the
input of ``rag train-reader --pairs FILE --init DIR``.

Usage::

    .venv/bin/python benchmarks/reader_windows.py --questions 5000 --out /tmp/reader_windows.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from calibrate import TRAIN_FILE, WORK_DIR, VectorCache, in_memory_index  # noqa: E402
from fit_reader_rank import MAX_DEPTH, fit_questions  # noqa: E402

from rag.embed import get_embedder  # noqa: E402
from rag.eval.scoring import normalize_answer  # noqa: E402
from rag.eval.squad import SquadQuestion, SquadSet, load_squad  # noqa: E402
from rag.qa.answerer import QA  # noqa: E402
from rag.qa.rerank import sentence_window  # noqa: E402

WINDOW_SEED = 7


def fit_question_ids(train: SquadSet, answerable: int, unanswerable: int) -> set[str]:
    """The question ids ``fit_reader_rank.py`` samples with the same arguments."""
    chosen, _, away = fit_questions(train, answerable, unanswerable)
    return {q.question_id for q in chosen} | {q.question_id for q in away}


def window_pairs(qa: QA, question: SquadQuestion, depth: int) -> list[dict]:
    """Labelled windows of the ranker's top ``depth`` sentences for one question."""
    ranking = qa.rank(question.question)
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
        if inside:
            answer = inside[0]
            pairs.append(
                {
                    "group": question.question_id,
                    "question": question.question,
                    "context": context,
                    "answer_start": answer.start - window.start,
                    "answer_text": answer.text,
                }
            )
        elif not any(f" {reference} " in f" {normalize_answer(context)} " for reference in references):
            pairs.append(
                {
                    "group": question.question_id,
                    "question": question.question,
                    "context": context,
                    "answer_start": -1,
                    "answer_text": "",
                }
            )
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=5000, help="train questions to make windows for")
    parser.add_argument("--depth", type=int, default=MAX_DEPTH, help="top sentences per question")
    parser.add_argument("--fit-answerable", type=int, default=3000, help="fit_reader_rank.py --limit")
    parser.add_argument(
        "--fit-unanswerable", type=int, default=1500, help="fit_reader_rank.py --unanswerable"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    train = load_squad(TRAIN_FILE)
    excluded = fit_question_ids(train, args.fit_answerable, args.fit_unanswerable)
    pool = [q for q in train.questions if q.question_id not in excluded and q.answers]
    chosen = random.Random(WINDOW_SEED).sample(pool, min(args.questions, len(pool)))
    qa = QA(in_memory_index(train.articles, VectorCache(WORK_DIR / get_embedder().backend)), reader=None)
    positives = negatives = 0
    with args.out.open("w", encoding="utf-8") as out:
        for question in chosen:
            for pair in window_pairs(qa, question, args.depth):
                out.write(json.dumps(pair) + "\n")
                positives += pair["answer_start"] >= 0
                negatives += pair["answer_start"] < 0
    print(
        f"{len(chosen)} questions (of {len(pool)} not used by the re-ranker fit): "
        f"{positives} answer windows, {negatives} no-answer windows -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
