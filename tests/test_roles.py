"""Who holds a role (``rag.qa.roles``): titles read from news sentences, matched to the question."""

from __future__ import annotations

import pytest

import rag
from rag.qa.roles import holders, person_question, role_holder_span, role_question, title_of
from rag.types import Article

MEETING = (
    "Japanese Prime Minister Shinzo Abe met French President Emmanuel Macron, and Japan's foreign "
    "minister, Taro Kono, spoke with his French counterpart Jean-Yves Le Drian."
)


def named(sentence: str) -> list[tuple[str, str]]:
    return [(sentence[slice(*h.name)], h.title_text(sentence)) for h in holders(sentence)]


def test_titles_before_after_and_counterparts():
    assert named(MEETING) == [
        ("Taro Kono", "Japan's foreign minister"),
        ("Shinzo Abe", "Japanese Prime Minister"),
        ("Emmanuel Macron", "French President"),
        ("Jean-Yves Le Drian", "French foreign minister"),  # a counterpart holds the same role
    ]
    sentence = "Ri Yong-ho, North Korea's foreign minister, said the talks went well."
    assert named(sentence) == [("Ri Yong-ho", "North Korea's foreign minister")]


def test_a_title_between_two_names_belongs_to_the_name_after_it():
    # "the US and North Korea, <title>, Lee Do-hoon,": North Korea ends a clause, it is not the negotiator
    sentence = (
        "To facilitate the resumption of talks between the US and North Korea, South Korea's top nuclear "
        "negotiator, Lee Do-hoon, met his Russian counterpart, Igor Morgulov, Tuesday."
    )
    assert named(sentence)[0] == ("Lee Do-hoon", "South Korea's top nuclear negotiator")
    asked = role_question("Who is South Korea's top nuclear negotiator?")
    assert asked is not None
    found = role_holder_span(asked, sentence)
    assert found is not None and sentence[slice(*found[0])] == "Lee Do-hoon"


def test_a_namesake_is_not_the_person_asked_about():
    sentence = (
        "Chinese Foreign Minister Wang Yi met Wang Sheng, a Korean studies professor at Jilin University."
    )
    span = title_of("Wang Sheng", sentence)
    assert span is not None and sentence[slice(*span)] == "Korean studies professor at Jilin University"
    span = title_of("Wang Yi", sentence)
    assert span is not None and sentence[slice(*span)] == "Chinese Foreign Minister"
    assert title_of("Wang Lei", sentence) is None  # shares a family name only
    span = title_of("Pompeo", "US Secretary of State Mike Pompeo spoke.")  # a part of the full name
    assert span is not None


def test_titles_in_a_relative_clause_and_whole_words_only():
    sentence = (
        "On Aug. 16, Kim Su-gil, who serves as director of the General Political Bureau of the Korean "
        "People's Army, visited Beijing."
    )
    span = title_of("Kim Su-gil", sentence)
    assert span is not None
    assert sentence[slice(*span)] == "director of the General Political Bureau of the Korean People's Army"
    # a lower-case title before a name starts at a word: not "ersian scholar" inside "Persian scholar"
    assert named("The Persian scholar Ibn Sina wrote it.") == [("Ibn Sina", "scholar")]


def test_a_possessive_title_that_speaks_is_not_an_apposition():
    sentence = "China wants closer cooperation with North Korea, its top diplomat said on Tuesday."
    assert named(sentence) == []
    assert named("Wang Yi, its top diplomat, said on Tuesday that talks went well.") == [
        ("Wang Yi", "its top diplomat")
    ]


@pytest.mark.parametrize(
    ("question", "holder"),
    [
        ("Who is China's top diplomat?", "Wang Yi"),
        ("Who is North Korea's top diplomat?", "Ri Yong-ho"),
        ("Who is the US's chief diplomat?", "Mike Pompeo"),
    ],
)
def test_a_top_diplomat_is_the_foreign_minister_or_secretary_of_state(question, holder):
    sentence = (
        "Chinese Foreign Minister Wang Yi met North Korean Foreign Minister Ri Yong-ho days after "
        "US Secretary of State Mike Pompeo's remarks."
    )
    asked = role_question(question)
    assert asked is not None
    found = role_holder_span(asked, sentence)
    assert found is not None and found[1]
    assert sentence[slice(*found[0])] == holder  # without the possessive "'s"
    assert role_holder_span(asked, "Chinese Defence Minister Wei Fenghe met Ri Yong-ho's aides.") is None


@pytest.mark.parametrize(
    ("question", "holder"),
    [
        ("Who is France's foreign minister?", "Jean-Yves Le Drian"),
        ("Who is the Japanese foreign minister?", "Taro Kono"),
        ("Who is the president of France?", "Emmanuel Macron"),
        ("Who is Japan's prime minister?", "Shinzo Abe"),
    ],
)
def test_the_holder_whose_title_matches_is_chosen(question, holder):
    asked = role_question(question)
    assert asked is not None
    found = role_holder_span(asked, MEETING)
    assert found is not None and found[1]
    assert MEETING[slice(*found[0])] == holder


def test_a_vice_minister_or_another_country_is_not_the_holder():
    asked = role_question("Who is North Korea's foreign minister?")
    assert asked is not None
    assert role_holder_span(asked, "North Korean Vice Foreign Minister Choe Son-hui spoke.") is None
    assert role_holder_span(asked, "Chinese Foreign Minister Wang Yi visits North Korea.") is None


def test_questions_that_are_not_about_roles():
    assert role_question("Who was Mueller replaced as Associate Administrator?") is None
    assert role_question("Who won the election?") is None
    assert person_question("Who is Taro Kono?") == "Taro Kono"
    assert person_question("Who is the president?") is None
    span = title_of("Taro Kono", MEETING)
    assert span is not None and MEETING[slice(*span)] == "Japan's foreign minister"


@pytest.mark.slow
def test_role_questions_end_to_end():
    text = (
        "Ministers met in Geneva on Tuesday. " + MEETING + " The meeting lasted two hours and "
        "covered trade, security and the climate."
    )
    index = rag.build_index([Article(doc_id="summit", title="Summit talks", text=text)])
    answer = rag.ask("Who is France's foreign minister?", index=index)
    assert answer.text == "Jean-Yves Le Drian"
    answer = rag.ask("Who is Taro Kono?", index=index)
    assert answer.text == "Japan's foreign minister"
