"""A wire story's lead gets a prior in the re-ranking (``rag.qa.lead``); other texts do not."""

from __future__ import annotations

from dataclasses import replace

import pytest

import rag
from rag.qa.lead import body_start, dateline_end, is_wire_story, lead_prior, outside_datelines
from rag.qa.reader import ReaderSpan
from rag.qa.rerank import LEAD_BONUS, LEAD_CHARS, read_rerank_model, shipped_rerank_model
from rag.qa.sentences import Candidate
from rag.types import Article, Chunk, Hit, Span
from tests.test_ages import _ScoredReader
from tests.test_qa import assert_cited_exactly


@pytest.mark.parametrize(
    "opening",
    [
        "LONDON, England (CNN) -- English Premier League strugglers ...",
        "LOS ANGELES, California (CNN) -- Gregory Hale, the gravel-voiced ...",
        "BERLIN (Reuters) - German carmaker Volta said on Wednesday ...",
        "CHICAGO (AP) — A former suburban mayor ...",
        "WASHINGTON (CNN) -- U.S. health regulators on Wednesday ...",
        "PARIS, Dec 3 (Reuters) - French unions called ...",
        "LA CORUNA, Spain (CNN) -- A tanker carrying ...",
        "BEIJING — Rescuers in northern China ...",
        "(CNN) -- The U.S. Supreme Court on Monday ...",
    ],
)
def test_datelines_make_a_wire_story(opening):
    assert is_wire_story(Article(doc_id="a", title="", text=opening))


@pytest.mark.parametrize(
    "opening",
    [
        "Berlin is the capital and largest city of Germany.",
        "The American Football Conference (AFC) champion Denver Broncos defeated ...",
        "UN - the United Nations - said on Monday ...",
        "NASA's Apollo program - the third human spaceflight program - ...",
        "In 1979, less than a year after becoming pope, John Paul celebrated Mass ...",
        "- a list item",
        "(2) - the second case",
        "",
    ],
)
def test_other_openings_are_not_wire_stories(opening):
    assert not is_wire_story(Article(doc_id="a", title="", text=opening))


def test_the_body_starts_after_a_title_line():
    text = "Floods kill dozens\n\nDHAKA, Bangladesh (CNN) -- Monsoon floods have killed at least 54 people."
    article = Article(doc_id="a", title="Floods kill dozens", text=text)
    assert text[body_start(article) :].startswith("DHAKA")
    assert is_wire_story(article)
    assert body_start(Article(doc_id="b", title="Other", text=text)) == 0
    assert not is_wire_story(Article(doc_id="b", title="Other", text=text))


def test_spans_inside_the_dateline_are_dropped():
    text = "WINNIPEG, Manitoba (CNN) -- A jet from Calgary, Alberta, skidded off the runway."
    wire = Article(doc_id="w", title="", text=text)
    assert text[dateline_end(wire) :].startswith("A jet")
    plain = Article(doc_id="p", title="", text="Winnipeg is a city. A jet landed there.")
    spans = [
        ReaderSpan("w", 0, 18, 5.0),  # "WINNIPEG, Manitoba"
        ReaderSpan("w", text.index("Calgary"), text.index(", skidded"), 3.0),
        ReaderSpan("p", 0, 8, 4.0),
    ]
    crossing = ReaderSpan("w", 10, text.index(" skidded"), 4.0)  # "Manitoba (CNN) -- A jet ..."
    kept = outside_datelines([*spans, crossing], [_candidate(wire, 0, len(text)), _candidate(plain, 0, 19)])
    assert kept[:2] == spans[1:]
    assert text[kept[2].start : kept[2].end].startswith("A jet from") and kept[2].score == 4.0
    assert dateline_end(plain) == 0


def _candidate(article: Article, start: int, end: int) -> Candidate:
    chunk = Chunk(
        f"{article.doc_id}:0", article.doc_id, article.text, 0, len(article.text), (Span(start, end),)
    )
    hit = Hit(
        article.doc_id, chunk.chunk_id, article.title, article.text, 0, len(article.text), 1.0, 0.5, 3.0
    )
    return Candidate(article, chunk, hit, 0, Span(start, end), 0, "", "")


def test_the_prior_goes_to_lead_sentences_of_wire_stories_only():
    wire = Article(doc_id="w", title="", text="NAIROBI, Kenya (CNN) -- A cholera outbreak. " + "More. " * 100)
    plain = Article(doc_id="p", title="", text="A cholera outbreak. " + "More. " * 100)
    candidates = [_candidate(wire, 0, 44), _candidate(wire, 300, 306), _candidate(plain, 0, 20)]
    assert lead_prior(candidates, 2.0, 250).tolist() == [2.0, 0.0, 0.0]
    assert not lead_prior(candidates, 0.0, 250).any()
    assert not lead_prior(candidates, 2.0, 0).any()


def test_the_shipped_re_ranker_carries_the_prior_and_old_files_read_without_it(tmp_path):
    shipped = shipped_rerank_model()
    assert (shipped.lead_bonus, shipped.lead_chars) == (LEAD_BONUS, LEAD_CHARS)
    old = tmp_path / "old.json"
    replace(shipped, lead_bonus=0.0, lead_chars=0).save(old)
    data = old.read_text(encoding="utf-8").replace('"lead_bonus": 0.0,', "").replace('"lead_chars": 0,', "")
    old.write_text(data, encoding="utf-8")
    assert "lead_bonus" not in data
    assert read_rerank_model(old).lead_bonus == 0.0
    bad = tmp_path / "bad.json"
    replace(shipped, lead_bonus=-1.0).save(bad)
    with pytest.raises(ValueError, match="lead_bonus and lead_chars must be >= 0"):
        read_rerank_model(bad)


LEAD = "DHAKA, Bangladesh (CNN) -- Monsoon floods have killed at least 54 people in northern Bangladesh."
LATER = (
    " Rivers burst their banks after a week of heavy rain, officials said on Tuesday, and rescue teams"
    " were sent to the worst-hit districts. Thousands of families fled to higher ground, and many"
    " schools were turned into shelters. In 1998, floods killed 918 people in the country."
)


@pytest.mark.parametrize(("text", "expected"), [(LEAD + LATER, "at least 54"), (LEAD[27:] + LATER, "918")])
def test_a_wire_story_answers_from_its_lead_when_the_reader_hesitates(tmp_path, text, expected):
    article = Article(doc_id="floods", title="Floods in Bangladesh", text=text)
    index = rag.build_index([article], tmp_path / "index")
    reader = _ScoredReader({"at least 54": 2.0, "918": 3.0})  # the reader slightly prefers the older toll
    answer = rag.QA(index, reader=reader).ask("How many people have the floods killed?")
    assert answer.text == expected
    assert_cited_exactly(index, answer)
    plain = rag.QA(index, reader=reader, rerank=replace(shipped_rerank_model(), lead_bonus=0.0))
    assert plain.ask("How many people have the floods killed?").text == "918"


def test_an_ingested_page_keeps_its_dateline_after_the_headline(tmp_path):
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Cholera outbreak kills 40 in Kenyan camp</title></head><body><article>"
        "<h1>Cholera outbreak kills 40 in Kenyan camp</h1>"
        "<p>NAIROBI, Kenya (CNN) -- A cholera outbreak has killed at least 40 people in the Kakuma "
        "refugee camp in northwestern Kenya, aid agencies said Monday.</p>"
        "<p>The outbreak began two weeks ago after heavy rains flooded latrines in the camp.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    (article,) = rag.load_articles([page]).articles
    assert is_wire_story(article)
    assert article.text[dateline_end(article) :].startswith("A cholera outbreak")
