"""Relative and partial dates in quoted sentences, resolved against the article's publication date."""

from __future__ import annotations

import pytest

from rag.qa.citations import cite
from rag.qa.dates import resolve_dates
from rag.qa.sentences import Candidate
from rag.types import Answer, Article, Chunk, Hit, ResolvedDate, Span
from rag.ui.dates import date_label
from rag.ui.format import format_answer

PUBLISHED = "2019-09-04"  # a Wednesday


def resolved(sentence: str, published: str | None = PUBLISHED) -> list[tuple[str, str, str]]:
    return [(d.text, d.date, d.granularity) for d in resolve_dates(sentence, 0, len(sentence), published)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Wang Yi arrived in Pyongyang on Monday for talks.", [("Monday", "2019-09-02", "day")]),
        ("The ministers will meet again on Friday.", [("Friday", "2019-09-06", "day")]),
        ("He said on Wednesday that talks would resume.", [("Wednesday", "2019-09-04", "day")]),
        ("They met last Wednesday.", [("last Wednesday", "2019-08-28", "day")]),
        ("They meet next Wednesday.", [("next Wednesday", "2019-09-11", "day")]),
        ("The US accused China in May of backtracking.", [("May", "2019-05", "month")]),
        (
            "Talks have stalled since March last year, officials said.",
            [("March last year", "2018-03", "month")],
        ),
        ("The visit came two weeks ago.", [("two weeks ago", "2019-08-21", "day")]),
        ("Prices rose 3 months ago.", [("3 months ago", "2019-06", "month")]),
        ("China's National Day is October 1.", [("October 1", "2019-10-01", "day")]),
        ("On Aug. 16, Kim Su-gil visited Beijing.", [("Aug. 16", "2019-08-16", "day")]),  # news style
        ("The envoy arrives Sept. 9.", [("Sept. 9", "2019-09-09", "day")]),
        ("Last year the two sides signed a deal.", [("Last year", "2018", "year")]),
        ("Exports fell last month.", [("last month", "2019-08", "month")]),
        (
            "Protests began in June and continued yesterday.",
            [("June", "2019-06", "month"), ("yesterday", "2019-09-03", "day")],
        ),
    ],
)
def test_phrases_resolve_against_the_publication_date(sentence, expected):
    assert resolved(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "He may visit in May 2020.",  # a year is given: nothing to resolve
        "The summit opened on October 1, 2019.",
        "May I ask a question?",  # the modal verb, not the month
        "Talks continued last week.",  # a week is no day, month or year
        "No dates here at all.",
    ],
)
def test_absolute_or_dateless_phrases_resolve_to_nothing(sentence):
    assert resolved(sentence) == []


def test_an_undated_article_resolves_nothing():
    assert resolved("Wang Yi arrived on Monday.", None) == []
    assert resolved("Wang Yi arrived on Monday.", "not a date") == []
    assert resolved("Wang Yi arrived on Monday.", "2019-09-04T21:21") == [("Monday", "2019-09-02", "day")]


def test_offsets_point_into_the_article_text():
    text = "Headline here. Wang Yi arrived on Monday for a three-day visit."
    [monday] = resolve_dates(text, 15, len(text), PUBLISHED)
    assert text[monday.span.start : monday.span.end] == "Monday" == monday.text
    assert monday.to_dict() == {
        "text": "Monday",
        "start": 34,
        "end": 40,
        "date": "2019-09-02",
        "granularity": "day",
    }


def test_a_citation_and_its_answer_carry_the_dates_of_the_quoted_sentence():
    text = "Wang Yi arrived in Pyongyang on Monday. He met Ri Yong-ho."
    article = Article(doc_id="a", title="Visit", text=text, published=PUBLISHED)
    sentence = Span(0, 39)
    chunk = Chunk("a:0", "a", text, 0, len(text), (sentence, Span(40, len(text))))
    hit = Hit("a", "a:0", "Visit", text, 0, len(text), 1.0, 0.5, 3.0)
    citation = cite(Candidate(article, chunk, hit, 0, sentence, 0, "", ""), Span(32, 38))
    assert [(d.text, d.date) for d in citation.dates] == [("Monday", "2019-09-02")]
    assert citation.to_dict()["dates"][0]["date"] == "2019-09-02"
    answer = Answer("When?", True, "Monday", text[:39], 0.9, (citation,), dates=citation.dates)
    assert answer.to_dict()["dates"] == [citation.dates[0].to_dict()]
    assert "Monday → Mon 2 Sep 2019" in format_answer(answer)


@pytest.mark.parametrize(
    ("date", "granularity", "label"),
    [
        ("2019-09-02", "day", "x → Mon 2 Sep 2019"),
        ("2019-05", "month", "x → May 2019"),
        ("2018", "year", "x → 2018"),
    ],
)
def test_date_labels(date, granularity, label):
    assert date_label(ResolvedDate("x", Span(0, 1), date, granularity)) == label
