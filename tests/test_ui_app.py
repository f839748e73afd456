"""The served app's ``/ask`` API, through gradio_client, against a subprocess on a free port."""

from __future__ import annotations

import json

import pytest
from ui_server import running_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "Who did Wang Yi meet in Pyongyang?"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("ui-app")) as (url, index_dir):
        yield url, index_dir


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app[0], verbose=False)


def test_ask_endpoint_returns_the_answer_json_with_checkable_citations(app, client):
    from rag.index import load_index

    reply = json.loads(client.predict(QUESTION, api_name="/ask"))
    assert list(reply) == [
        "question",
        "found",
        "text",
        "sentence",
        "score",
        "citations",
        "alternatives",
        "message",
        "dates",
        "timeline",
        "agreeing_articles",
        "conflicts",
    ]
    assert reply["question"] == QUESTION
    assert reply["citations"], "every answer cites at least one passage"
    index = load_index(app[1])
    for citation in reply["citations"]:
        text = index.article(citation["doc_id"]).text
        assert citation["title"] == index.article(citation["doc_id"]).title
        assert (
            text[citation["sentence_span"]["start"] : citation["sentence_span"]["end"]] == citation["quote"]
        )
        assert (
            text[citation["passage_span"]["start"] : citation["passage_span"]["end"]] == citation["passage"]
        )
        for resolved in citation["dates"]:  # relative dates of the quote, with article offsets
            assert text[resolved["start"] : resolved["end"]] == resolved["text"]
            assert citation["published"] and resolved["granularity"] in ("day", "month", "year")
    if reply["found"]:
        first = reply["citations"][0]
        text = index.article(first["doc_id"]).text
        assert text[first["span"]["start"] : first["span"]["end"]] == reply["text"]


def test_ask_endpoint_matches_rag_ask_on_the_same_index(app, client):
    import rag

    index = rag.load_index(app[1])
    expected = rag.ask(QUESTION, index=index, k=5).to_dict()
    assert json.loads(client.predict(QUESTION, 5, api_name="/ask")) == expected


def test_ask_endpoint_reports_bad_input_as_a_message(client):
    from gradio_client.exceptions import AppError

    empty = json.loads(client.predict("   ", api_name="/ask"))
    assert (empty["found"], empty["citations"]) == (False, [])
    assert "empty" in empty["message"]
    with pytest.raises(AppError, match="got 0"):
        client.predict(QUESTION, 0, api_name="/ask")


def test_only_the_ask_endpoint_is_public(client):
    assert list(client.view_api(print_info=False, return_format="dict")["named_endpoints"]) == ["/ask"]


def test_ask_endpoint_takes_the_filters_of_rag_ask(client):
    from gradio_client.exceptions import AppError

    question = "When did Wang Yi visit Pyongyang?"
    early = json.loads(client.predict(question, 5, [], "", "2018-12-31", api_name="/ask"))
    assert early["citations"] and all(c["published"] <= "2018-12-31" for c in early["citations"])
    herald = json.loads(client.predict(question, sources=["The Korea Herald"], api_name="/ask"))
    assert {c["source"] for c in herald["citations"]} == {"The Korea Herald"}
    with pytest.raises(AppError, match=r"since \(2019-12-01\) is after until \(2019-01-01\)"):
        client.predict(question, 5, [], "2019-12-01", "2019-01-01", api_name="/ask")
    with pytest.raises(AppError, match="unknown source 'Nope'"):
        client.predict(question, sources=["Nope"], api_name="/ask")
