"""An amount answered by the reader keeps the words that bound it (``rag.qa.amounts``)."""

from __future__ import annotations

import pytest

import rag
from rag.qa.amounts import with_bound
from rag.types import Article
from tests.test_qa import NameReader, assert_cited_exactly


def grown(sentence: str, span: str) -> str | None:
    start = sentence.index(span)
    moved = with_bound(sentence, start, start + len(span))
    return None if moved is None else sentence[moved[0] : moved[1]]


@pytest.mark.parametrize(
    ("sentence", "span", "expected"),
    [
        ("The quake killed at least 38 people on Friday.", "38", "at least 38"),
        ("More than 1,600 others were injured.", "1,600", "More than 1,600"),
        ("He took more than $2 million in bribes.", "$2 million", "more than $2 million"),
        ("Profit fell by more than half.", "half", "more than half"),
        ("The network carries over 37 million passengers a year.", "37 million", "over 37 million"),
        ("Fares may rise by up to 5%.", "5%", "up to 5%"),
        ("Nearly 27 years have passed.", "27 years", "Nearly 27 years"),
        ("As many as 300 people were evacuated.", "300", "As many as 300"),
        ("He lived there between 1835 and 1842.", "1835 and 1842", "between 1835 and 1842"),
    ],
)
def test_a_bounded_amount_keeps_its_bound(sentence, span, expected):
    assert grown(sentence, span) == expected


@pytest.mark.parametrize(
    ("sentence", "span"),
    [
        ("About 18,000 people died in 1999.", "18,000"),  # "about" only makes it approximate
        ("The company employs around 120,000 people.", "120,000"),
        ("It had ruled since 2014 and won 58 percent.", "58 percent"),  # no bound before it
        ("Talks dragged on over 2015 and 2016.", "2015 and 2016"),  # a year after "over" is no amount
        ("The quake killed at least 38 people.", "people"),  # the span is not an amount
        ("Between Kim and Trump, talks stalled.", "Kim and Trump"),
        ("He lived there between 1835 and 1842.", "1842"),  # one end of the range alone
    ],
)
def test_other_spans_are_left_alone(sentence, span):
    assert grown(sentence, span) is None


def test_rag_ask_answers_with_the_bound(tmp_path):
    text = (
        "A powerful earthquake struck eastern Turkey on Friday evening, killing at least 38 people, "
        "the country's disaster agency said. Rescue teams worked through the night."
    )
    article = Article(doc_id="quake", title="Earthquake kills dozens in Turkey", text=text)
    index = rag.build_index([article], tmp_path / "index")
    answer = rag.QA(index, reader=NameReader("38")).ask("How many people died in the earthquake?")
    assert answer.text == "at least 38"
    assert_cited_exactly(index, answer)  # the citation's span is the grown one
