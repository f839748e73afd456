"""Metadata filters: applied inside retrieval, validated with messages that name the bad value."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from index_fakes import HashingEmbedder

from rag import Filter
from rag.index import build_index
from rag.types import Article

ARTICLES = [
    Article(
        "a1", "Trade talks", "Trade talks between China and the US collapsed in May.", "Wire", "2019-05-20"
    ),
    Article(
        "a2", "Trade deal", "Trade talks between China and the US resumed in October.", "Herald", "2019-10-12"
    ),
    Article(
        "a3", "Trade notes", "Trade talks between China and the US are a recurring story.", "Herald", None
    ),
    Article(
        "a4",
        "Teaser",
        "Trade talks between China and the US: read more.",
        "Wire",
        "2019-11-01",
        kind="teaser",
    ),
]


@pytest.fixture(scope="module")
def index():
    return build_index(ARTICLES, embedder=HashingEmbedder())


def doc_ids(index, filters: Filter | None, k: int = 4) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(hit.doc_id for hit in index.search("trade talks China US", k=k, filters=filters))


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (None, ["a1", "a2", "a3", "a4"]),
        (Filter(), ["a1", "a2", "a3", "a4"]),
        (Filter(sources=("Herald",)), ["a2", "a3"]),
        (Filter(kinds=("teaser",)), ["a4"]),
        (Filter(since="2019-06-01"), ["a2", "a4"]),  # a3 has no date: excluded by any date bound
        (Filter(until="2019-10-12"), ["a1", "a2"]),  # both bounds inclusive
        (Filter(since="2019-05-20", until="2019-05-20"), ["a1"]),
        (Filter(sources=("Wire",), kinds=("article",)), ["a1"]),
        (Filter(doc_ids=("a3", "a4")), ["a3", "a4"]),
        (Filter(since="2020-01-01"), []),
    ],
)
def test_search_returns_only_passages_that_pass(index, filters, expected):
    assert doc_ids(index, filters) == expected


def test_k_passages_all_pass_even_when_the_best_ones_do_not(index):
    best = index.search("trade talks China US", k=1)[0].doc_id
    others = [article.doc_id for article in ARTICLES if article.doc_id != best]
    hits = index.search("trade talks China US", k=2, filters=Filter(doc_ids=tuple(others)))
    assert len(hits) == 2 and best not in {hit.doc_id for hit in hits}


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"since": "2019-12-01", "until": "2019-01-01"},
            ValueError,
            r"since \(2019-12-01\) is after until \(2019-01-01\)",
        ),
        ({"since": "2019-13-01"}, ValueError, "since must be a date as YYYY-MM-DD, got '2019-13-01'"),
        ({"until": "yesterday"}, ValueError, "until must be a date as YYYY-MM-DD, got 'yesterday'"),
        ({"kinds": ("video",)}, ValueError, "unknown kind 'video'; use one of article, teaser"),
        ({"sources": "Herald"}, TypeError, r"sources must be a sequence of strings, not one string"),
    ],
)
def test_bad_filters_name_the_bad_value(arguments, error, message):
    with pytest.raises(error, match=message):
        Filter(**arguments)


def test_search_matches_sources_case_insensitively_and_names_an_unknown_one(index):
    assert doc_ids(index, Filter(sources=("herald",))) == ["a2", "a3"]
    with pytest.raises(ValueError, match=r"unknown source 'Gazette' \(indexed sources: Herald, Wire\)"):
        index.search("trade talks", filters=Filter(sources=("Gazette",)))


def test_sources_are_matched_to_the_indexed_spelling(index):
    known = [article.source for article in index.articles()]
    assert Filter(sources=("herald",)).with_sources_of(known).sources == ("Herald",)
    with pytest.raises(ValueError, match=r"unknown source 'Gazette' \(indexed sources: Herald, Wire\)"):
        Filter(sources=("Gazette",)).with_sources_of(known)


def test_from_dict_and_the_milvus_expression():
    assert Filter.from_dict(None) is None
    assert Filter.from_dict({"sources": [], "since": ""}) is None
    made = Filter.from_dict(
        {"sources": ["Wire"], "kinds": ["article"], "since": "2019-01-01", "until": "2019-12-31"}
    )
    assert made is not None and made.since == date(2019, 1, 1)
    assert made.to_expression() == (
        'source in ["Wire"] and kind in ["article"] and published >= 20190101 '
        "and published > 0 and published <= 20191231"
    )
    assert made.to_dict()["until"] == "2019-12-31"
    with pytest.raises(ValueError, match="unknown filter option 'topic'"):
        Filter.from_dict({"topic": "trade"})


def test_ingest_json_says_an_undated_article_is_left_out_by_date_filters(tmp_path, capsys):
    import json

    from rag.cli import main

    (tmp_path / "undated.txt").write_text("Trade talks\n\nTrade talks between China and the US resumed.\n")
    (tmp_path / "dated.txt").write_text(
        "Trade talks\n\nSeptember 4, 2019\n\nTrade talks resumed on Monday.\n"
    )
    assert main(["ingest", str(tmp_path), "--json"]) == 0
    rows = {Path(row["path"]).name: row for row in map(json.loads, capsys.readouterr().out.splitlines())}
    assert rows["undated.txt"]["note"] == "no known publication date: excluded by --since/--until filters"
    assert rows["dated.txt"]["published"] == "2019-09-04" and "note" not in rows["dated.txt"]


@pytest.mark.parametrize("approximate_above", [10_000, 1], ids=["flat", "hnsw"])
def test_faiss_selector_path_returns_the_same_passages_as_exact_scoring(monkeypatch, approximate_above):
    import rag.index.pool as pool
    from rag.index import Index

    index = Index(None, embedder=HashingEmbedder(), approximate_above=approximate_above)
    index.add(ARTICLES)
    assert index.dense.kind == ("hnsw" if approximate_above == 1 else "flat")
    chosen = Filter(sources=("Herald",))
    exact = doc_ids(index, chosen)
    monkeypatch.setattr(pool, "EXACT_SEARCH_ROWS", 0)  # FAISS with a selector of the allowed ids
    assert doc_ids(index, chosen) == exact == ["a2", "a3"]
    assert doc_ids(index, Filter(kinds=("teaser",))) == ["a4"]


def test_rag_ask_answers_only_from_articles_that_pass(index):
    import rag

    answer = rag.ask("When did trade talks resume?", index=index, filters=Filter(sources=("herald",)))
    cited = {
        citation.doc_id
        for citation in (*answer.citations, *(c for a in answer.alternatives for c in a.citations))
    }
    assert cited and cited <= {"a2", "a3"}
    with pytest.raises(ValueError, match="unknown source 'Gazette'"):
        rag.ask("When did trade talks resume?", index=index, filters=Filter(sources=("Gazette",)))
    with pytest.raises(TypeError, match="filters must be a rag.Filter, got dict"):
        rag.ask("When?", index=index, filters={"sources": ["Herald"]})  # type: ignore[arg-type]
