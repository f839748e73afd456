"""``rag train matcher``'s examples: which questions it may train on and what each example holds."""

from __future__ import annotations

import random

from rag.eval.squad import SquadAnswer, SquadQuestion, SquadSet
from rag.training import matcher
from rag.types import Article

PARAGRAPH = (
    "The fighting ended in 1953. Talks began in Geneva a year later. "
    "The delegates met in a hotel. Nobody signed a treaty."
)


def squad(titles: list[str]) -> SquadSet:
    articles = tuple(Article(f"{title}-0", title, PARAGRAPH) for title in titles)
    questions = tuple(
        SquadQuestion(
            f"{title}-q{n}", question, f"{title}-0", (SquadAnswer(answer, PARAGRAPH.index(answer)),)
        )
        for title in titles
        for n, (question, answer) in enumerate(
            [
                ("When did the war end?", "1953"),
                ("Where were talks held?", "Geneva"),
                ("Where did they meet?", "a hotel"),
            ]
        )
    )
    return SquadSet(articles, questions)


def test_examples_pair_each_question_with_its_answer_sentence_and_other_sentences_of_the_paragraph():
    examples = matcher.match_examples(squad(["A"]), held=set(), limit=0, seed=1)
    assert len(examples) == 3
    by_question = {example.question: example for example in examples}
    war = by_question["When did the war end?"]
    assert war.sentence == "The fighting ended in 1953."
    assert len(war.negatives) == matcher.HARD_NEGATIVES
    assert war.sentence not in war.negatives
    assert set(war.negatives) <= {
        "Talks began in Geneva a year later.",
        "The delegates met in a hotel.",
        "Nobody signed a treaty.",
    }
    assert by_question["Where did they meet?"].sentence == "The delegates met in a hotel."


def test_held_questions_and_the_limit_are_respected_and_the_order_is_fixed_by_the_seed():
    data = squad(["A", "B"])
    examples = matcher.match_examples(data, held={"A-q0", "B-q1"}, limit=0, seed=3)
    assert len(examples) == 4
    assert len(matcher.match_examples(data, held=set(), limit=2, seed=3)) == 2
    again = matcher.match_examples(data, held={"A-q0", "B-q1"}, limit=0, seed=3)
    assert again == examples


def test_the_rankers_sample_and_the_subsets_pages_are_held_out(monkeypatch):
    monkeypatch.setattr(matcher, "RANKER_LIMIT", 2)
    data = squad(["A", "B", "C"])
    ranker_sample = {
        q.question_id for q in random.Random(matcher.RANKER_SEED).sample(list(data.questions), 2)
    }
    page_b = {q.question_id for q in data.questions if q.doc_id == "B-0"}
    assert matcher.held_out_ids(data, subset=None) == ranker_sample
    assert matcher.held_out_ids(data, subset=squad(["B"])) == ranker_sample | page_b
