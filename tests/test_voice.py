"""Passive questions (``rag.qa.voice``): the active sentence's object answers, not its subject."""

from __future__ import annotations

import pytest

from rag.qa.voice import agent_acts, agent_is_object, object_instead, passive_question, verb_with_adverb

SENTENCE = (
    "China’s state-run media outlets have accused the US and other Western countries of "
    "orchestrating the turmoil."
)


def _moved(question: str, sentence: str, span: str) -> str | None:
    asked = passive_question(question)
    assert asked is not None
    start = sentence.index(span)
    moved = object_instead(asked, sentence, start, start + len(span))
    return None if moved is None else sentence[moved[0] : moved[1]]


def test_passive_questions_are_recognised_with_their_verb_preposition_and_agent():
    asked = passive_question("Who was accused of orchestrating the turmoil?")
    assert asked is not None and (asked.verb, asked.preposition, asked.agent) == (
        "accused",
        "of",
        frozenset(),
    )
    by = passive_question("Who was replaced by Kubiak in Super Bowl XXIV?")
    assert by is not None and by.agent == frozenset({"kubiak"})
    for active in ("Who accused the US?", "What did he say?", "Who is North Korea's foreign minister?"):
        assert passive_question(active) is None


def test_the_subject_of_the_active_verb_gives_way_to_its_object():
    question = "Who was accused of orchestrating the turmoil?"
    assert (
        _moved(question, SENTENCE, "China’s state-run media outlets") == "the US and other Western countries"
    )
    # a span that is not the verb's subject, or a passive sentence, stands
    assert _moved(question, SENTENCE, "the US and other Western countries") is None
    passive = "The US was accused by China of orchestrating the turmoil."
    assert _moved(question, passive, "The US") is None


@pytest.mark.parametrize(
    ("question", "sentence", "span", "expected"),
    [
        (
            "Who was replaced by Kubiak?",
            "In 1990 Kubiak replaced Elway in the second half.",
            "Kubiak",
            "Elway",
        ),
        # the sentence's subject is not the asked agent: it says what someone else did
        ("Who was briefed by Ri?", "Wang also briefed Ri on the situation in Hong Kong.", "Wang", None),
        ("Who was arrested by police?", "Police arrested two men, officials said.", "Police", "two men"),
    ],
)
def test_by_questions_move_only_when_the_span_is_the_agent(question, sentence, span, expected):
    assert _moved(question, sentence, span) == expected


def test_a_by_question_prefers_the_sentence_where_the_agent_acts():
    asked = passive_question("Who was accused by the US?")
    assert asked is not None
    acting = "Talks collapsed in May, when the US accused China of backtracking on its concessions."
    assert agent_is_object(asked, SENTENCE) and not agent_is_object(asked, acting)
    found = agent_acts(asked, acting)
    assert found is not None and acting[found[0] : found[1]] == "China"
    assert agent_acts(asked, SENTENCE) is None
    no_agent = passive_question("Who was accused of orchestrating the turmoil?")
    assert no_agent is not None and agent_acts(no_agent, acting) is None


def test_a_do_question_answered_with_a_lone_adverb_gets_its_verb():
    sentence = "The two allies have met repeatedly over the last year."
    start = sentence.index("repeatedly")
    found = verb_with_adverb(
        "What have the two allies done over the last year?", sentence, start, start + len("repeatedly")
    )
    assert found is not None and sentence[slice(*found)] == "met repeatedly"
    # not a "do" question, not a lone adverb, or no verb before it: unchanged
    assert verb_with_adverb("How often have they met?", sentence, start, start + 10) is None
    assert verb_with_adverb("What have they done?", sentence, 0, 14) is None
    assert verb_with_adverb("What did they do?", "They have repeatedly met.", 10, 20) is None
