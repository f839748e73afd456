"""Questions about what someone said, and the reported clause of a sentence (``rag.qa.statements``)."""

from __future__ import annotations

import pytest

from rag.qa.questions import analyze
from rag.qa.statements import asks_statement, statement_span


@pytest.mark.parametrize(
    "question",
    [
        "What did Wang Yi say about Hong Kong?",
        "What did he say?",
        "What did the mayor tell reporters?",
        "What has the ministry said about the fire?",
        "What was the minister's response?",
        "What was the reaction of the White House?",
        "How did Beijing react to the protests?",
        "What do critics claim about the plan?",
    ],
)
def test_statement_questions(question):
    assert asks_statement(question)
    assert analyze(question).statement


@pytest.mark.parametrize(
    "question",
    [
        "What was the rally in support of?",
        "What did Gasquet think the plague was?",  # asks for a value, not a statement
        "What did John Dobson describe Newcastle as?",
        "What is the Victoria state bird?",
        "What is the name of the ship?",
        "Who did Wang Yi meet in Pyongyang?",
        "What is another name for an immune system's improved response?",
    ],
)
def test_other_questions(question):
    assert not asks_statement(question)


@pytest.mark.parametrize(
    ("sentence", "clause"),
    [
        (
            "Ri said that Hong Kong was an internal matter for Beijing and that North Korea “firmly "
            "supports” China’s “one country, two systems” framework.",
            "Hong Kong was an internal matter for Beijing and that North Korea “firmly supports” "
            "China’s “one country, two systems” framework",
        ),
        ("He told reporters on Monday that the deal was dead.", "the deal was dead"),
        (
            "“We will not back down from this fight,” the mayor told reporters.",
            "We will not back down from this fight",
        ),
        ("The talks were productive, the spokesman said.", "The talks were productive"),
        ("Prices will rise next year, according to the central bank.", "Prices will rise next year"),
        (
            "Wang also briefed Ri on the situation in Hong Kong.",
            "Wang also briefed Ri on the situation in Hong Kong",
        ),
        ("He said so.", "He said so"),  # too short a clause: the sentence
    ],
)
def test_statement_span(sentence, clause):
    start, end = statement_span(sentence)
    assert sentence[start:end] == clause


def test_what_someone_told_someone_during_a_meeting():
    assert asks_statement("What did Kim tell Wang during their meeting?")
    # a promise or a thought with an object is not a statement question
    assert not asks_statement("What did Temüjin promise his followers in exchange for their obedience?")
    sentence = (
        "“North Korea is willing to work together with China to push forward the friendly relations,” "
        "Kim told Wang during their meeting at the headquarters of the Worker’s Party."
    )
    start, end = statement_span(sentence)
    assert sentence[start:end] == (
        "North Korea is willing to work together with China to push forward the friendly relations"
    )


def test_a_leading_time_phrase_is_not_the_reported_clause():
    sentence = "On Tuesday morning, the spokesman said the talks would resume next week."
    start, end = statement_span(sentence)
    assert sentence[start:end] == "the talks would resume next week"
    sentence = "The talks will resume next week, the minister told reporters in Beijing on Monday."
    start, end = statement_span(sentence)
    assert sentence[start:end] == "The talks will resume next week"
