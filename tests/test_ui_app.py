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
