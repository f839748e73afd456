"""An age is not a count (``rag.qa.ages``): "How many ...?" is not answered by "Ferraro, 67,"."""

from __future__ import annotations

import pytest

import rag
from rag.qa.ages import asks_count, is_age, without_ages
from rag.qa.reader import ReaderSpan
from rag.types import Article
from tests.test_qa import assert_cited_exactly


def _age(sentence: str, span: str) -> bool:
    start = sentence.index(span)
    return is_age(sentence, start, start + len(span))


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ('"We had ten minutes," said Linda Ferraro, 67, who fled with her husband.', "67"),
        ("Marcus Flynn, 19, who works at a pretzel stand, hid behind the counter.", "19"),
        ("The wounded, who range in age from 14 to 67, were taken to hospitals.", "14 to 67"),
        ("A 34-year-old mother of three fled her village.", "34"),
        ("The victims were aged 8 and 11.", "8 and 11"),
        ("The driver, Juan Perez (52), was arrested.", "52"),
        ("He was 71 years old when he died.", "71"),
    ],
)
def test_ages_are_recognised(sentence, span):
    assert _age(sentence, span)


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("The fire forced more than 12,000 people from their homes.", "12,000"),
        ("In 1999, 40 people died in a similar fire.", "40"),
        ("Officials said 67 homes were destroyed.", "67"),
        ("The company cut 300 jobs, the union said.", "300"),
        ("Linda Ferraro, 67, fled.", "Linda Ferraro"),
        ("Rescuers, 40 of them volunteers, searched the river.", "40 of them"),
    ],
)
def test_other_figures_are_not_ages(sentence, span):
    assert not _age(sentence, span)


def test_only_how_many_questions_drop_ages():
    text = "Linda Ferraro, 67, fled."
    spans = [ReaderSpan("a", 15, 17, 1.0)]

    class Read:  # what without_ages reads of a candidate sentence
        article = Article(doc_id="a", title="", text=text)

    assert asks_count("How many people fled?") and not asks_count("How old is Ferraro?")
    assert without_ages("How many people fled?", spans, [Read()]) == []
    assert without_ages("How old is Linda Ferraro?", spans, [Read()]) == spans


class _ScoredReader:
    """A stand-in reader proposing fixed strings with fixed scores wherever they occur."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores

    def read(self, question, passages):
        spans = []
        for hit in passages:
            for text, score in self.scores.items():
                found = hit.text.find(text)
                if found >= 0:
                    spans.append(
                        ReaderSpan(hit.doc_id, hit.start + found, hit.start + found + len(text), score)
                    )
        return spans


def test_rag_ask_answers_a_count_with_the_count_not_an_age(tmp_path):
    text = (
        "IDYLLWILD, California (CNN) -- A wind-driven wildfire forced more than 12,000 people from their "
        'homes in Southern California on Monday, officials said. "We had maybe ten minutes to get out," '
        "said Linda Ferraro, 67, who fled the fire with her husband and two dogs. Crews fought the "
        "flames through the night."
    )
    article = Article(doc_id="fire", title="Wildfire forces thousands to flee", text=text)
    index = rag.build_index([article], tmp_path / "index")
    reader = _ScoredReader({"67": 8.0, "12,000": 2.0})
    answer = rag.QA(index, reader=reader).ask("How many people fled the fire?")
    assert answer.text == "more than 12,000"
    assert_cited_exactly(index, answer)
    old = rag.QA(index, reader=reader).ask("How old is Linda Ferraro?")
    assert old.text == "67"
