"""A question several stories could answer gets a note (``rag.qa.ambiguity``); the answer stays."""

from __future__ import annotations

from contextlib import nullcontext

import pytest

import rag
from rag.cli.ask_cmd import format_answer
from rag.qa.ambiguity import AMBIGUOUS_ARTICLES, ambiguity_note
from rag.types import Article
from tests.test_ages import _ScoredReader
from tests.test_qa import assert_cited_exactly

STORIES = {
    "quake": ("Quake in Peru", "A strong earthquake struck Peru on Monday. At least 24 people were killed."),
    "floods": (
        "Floods in Bangladesh",
        "Monsoon floods hit Bangladesh. At least 54 people were killed there.",
    ),
    "shooting": ("Mall shooting", "A gunman opened fire in a mall. Nine people were killed, police said."),
    "crash": ("Bus crash in India", "A bus plunged into a gorge in India. At least 32 people were killed."),
    "merger": ("Airlines agree merger", "Meridian Airways will buy Northstar Air for $4.2 billion."),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    articles = [Article(doc_id=key, title=title, text=text) for key, (title, text) in STORIES.items()]
    return rag.build_index(articles, tmp_path_factory.mktemp("stories") / "index")


def test_the_index_counts_the_articles_holding_every_question_word(index):
    assert index.articles_holding("How many people were killed?") == 4
    assert index.articles_holding("How many people were killed in Bangladesh?") == 1
    assert index.articles_holding("Who is buying Northstar?") == 1  # the headline counts too
    assert index.articles_holding("How many zebras were counted?") == 0
    assert index.articles_holding("What?") == 0


def test_a_vague_question_is_answered_with_a_note_and_a_specific_one_without(index):
    reader = _ScoredReader({"At least 54": 8.0, "At least 24": 1.0, "Nine": 1.0, "At least 32": 1.0})
    qa = rag.QA(index, reader=reader)
    vague = qa.ask("How many people were killed?")
    assert vague.found and vague.text == "At least 54"
    assert_cited_exactly(index, vague)
    assert vague.message.startswith("4 of the articles hold every word of this question")
    assert "“Floods in Bangladesh”" in vague.message
    assert format_answer(vague).endswith(f"   note: {vague.message}")
    specific = qa.ask("How many people were killed in the floods in Bangladesh?")
    assert specific.text == "At least 54" and specific.message == ""
    narrowed = qa.ask("How many people were killed?", filters=rag.Filter(doc_ids=("floods",)))
    assert narrowed.text == "At least 54" and narrowed.message == ""


def test_no_note_when_the_backend_does_not_count(index):
    answer = rag.QA(index, reader=_ScoredReader({"At least 54": 8.0})).ask("How many people were killed?")

    class Uncounted:  # a backend without ``articles_holding`` counts (the base class answers None)
        def reading(self):
            return nullcontext()

        def articles_holding(self, question):
            return None

    assert answer.message and ambiguity_note(Uncounted(), answer.question, answer) == ""  # type: ignore[arg-type]
    assert AMBIGUOUS_ARTICLES == 4


def test_no_note_when_several_articles_state_the_answer(tmp_path):
    stories = dict(
        STORIES, floods2=("Bangladesh floods", "Floods swept Bangladesh. At least 54 people were killed.")
    )
    articles = [Article(doc_id=key, title=title, text=text) for key, (title, text) in stories.items()]
    index = rag.build_index(articles, tmp_path / "index")
    answer = rag.QA(index, reader=_ScoredReader({"At least 54": 8.0})).ask("How many people were killed?")
    assert answer.text == "At least 54" and answer.agreeing_articles == 2
    assert index.articles_holding(answer.question) == 5 and answer.message == ""
