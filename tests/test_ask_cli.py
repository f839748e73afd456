"""``rag ask``: arguments, stdin with ``-``, ``--json`` lines, conversations, errors."""

from __future__ import annotations

import io
import json
import sys

import pytest

import rag
from rag.cli import main
from rag.cli.ask_cmd import questions_from


def test_questions_from_reads_dash_from_stdin():
    stdin = io.StringIO("When?\n\n  \nWhy?\n")
    assert list(questions_from(["Who?", "-", "Where?"], stdin)) == ["Who?", "When?", "Why?", "Where?"]


@pytest.fixture(scope="module")
def seed_index_dir(tmp_path_factory, seeds_dir):
    folder = tmp_path_factory.mktemp("seed-index")
    rag.build_index([seeds_dir], folder)
    return folder


def ask_json(capsys, *arguments: str) -> list[dict]:
    assert main(["ask", *arguments, "--json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.slow
def test_ask_json_answers_seed_questions_with_exact_citations(capsys, seed_index_dir):
    questions = [
        "Who did Wang Yi meet in Pyongyang?",
        "What did the US accuse China of in May?",
        "When is China's National Day?",
    ]
    answers = ask_json(capsys, *questions, "--index", str(seed_index_dir))
    index = rag.load_index(seed_index_dir)
    assert [answer["question"] for answer in answers] == questions
    for answer, expected in zip(
        answers, ["Ri Yong-ho", "backtracking on its concessions", "October 1"], strict=True
    ):
        assert answer["found"] is True
        assert expected in answer["text"]
        citation = answer["citations"][0]
        text = index.article(citation["doc_id"]).text
        assert text[citation["span"]["start"] : citation["span"]["end"]] == answer["text"]
        assert (
            text[citation["sentence_span"]["start"] : citation["sentence_span"]["end"]] == answer["sentence"]
        )


@pytest.mark.slow
def test_ask_reads_questions_from_stdin(capsys, monkeypatch, seed_index_dir):
    monkeypatch.setattr(
        sys, "stdin", io.StringIO("What is the capital of Canada?\n\nWhen is China's National Day?\n")
    )
    answers = ask_json(capsys, "-", "--index", str(seed_index_dir))
    assert [(answer["found"], answer["text"]) for answer in answers] == [(False, ""), (True, "October 1")]
    assert "do not seem to answer" in answers[0]["message"]


@pytest.mark.slow
def test_ask_conversation_resolves_follow_ups(capsys, seed_index_dir):
    answers = ask_json(
        capsys,
        "When is China's National Day?",
        "Who could attend it?",
        "--conversation",
        "--index",
        str(seed_index_dir),
    )
    assert answers[0]["text"] == "October 1"
    assert answers[1]["found"] is True
    assert "Kim could attend the ceremony" in answers[1]["sentence"]


@pytest.mark.slow
def test_ask_plain_text_shows_answer_quote_and_source(capsys, seed_index_dir):
    assert main(["ask", "When is China's National Day?", "--index", str(seed_index_dir)]) == 0
    out = capsys.readouterr().out
    assert "A: October 1    (confidence " in out
    assert "“It falls five days after" in out


@pytest.mark.slow
def test_ask_bad_question_prints_a_message_not_a_traceback(capsys, seed_index_dir):
    answers = ask_json(capsys, "   ", "--index", str(seed_index_dir))
    assert answers[0]["found"] is False
    assert "empty" in answers[0]["message"]


def test_ask_rejects_bad_k(capsys, tmp_path):
    assert main(["ask", "Who?", "-k", "0", "--index", str(tmp_path / "none")]) == 2
    assert "rag ask: error: k must be an integer between 1 and 100, got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_ask_with_reader_returns_a_span_inside_the_cited_sentence(capsys, seed_index_dir):
    from rag.index import load_index

    [answer] = ask_json(
        capsys,
        "--reader",
        "--index",
        str(seed_index_dir),
        "--json",
        "What did the US accuse China of in May?",
    )
    assert answer["found"] and answer["text"]
    citation = answer["citations"][0]
    article = load_index(seed_index_dir).article(citation["doc_id"])
    assert article.text[citation["span"]["start"] : citation["span"]["end"]] == answer["text"]
    assert answer["text"] in answer["sentence"] and "backtracking" in answer["sentence"]


def test_an_unexpected_error_is_one_line_unless_verbose(capsys, monkeypatch):
    import rag.cli.ask_cmd as ask_cmd

    def broken(args):
        raise KeyError("chunk-7")

    monkeypatch.setattr(ask_cmd, "run", broken)
    assert main(["ask", "Who?"]) == 1
    error = capsys.readouterr().err
    assert "unexpected error (KeyError: 'chunk-7')" in error and "-v" in error
    assert "Traceback" not in error
    with pytest.raises(KeyError):
        main(["-v", "ask", "Who?"])


@pytest.mark.slow
def test_filters_restrict_the_articles_answers_come_from(capsys, seed_index_dir):
    question = "When did Wang Yi visit Pyongyang?"
    [herald] = ask_json(capsys, question, "--index", str(seed_index_dir), "--source", "the korea herald")
    assert herald["citations"] and {c["source"] for c in herald["citations"]} == {"The Korea Herald"}
    [early] = ask_json(capsys, question, "--index", str(seed_index_dir), "--until", "2018-12-31")
    assert early["citations"] and all(c["published"] <= "2018-12-31" for c in early["citations"])
    # the relative date of the quote, resolved against that article's own date
    assert all(d["date"].startswith("2018") for c in early["citations"] for d in c["dates"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--source", "Nope"], "unknown source 'Nope' (indexed sources: "),
        (
            ["--since", "2019-12-01", "--until", "2019-01-01"],
            "since (2019-12-01) is after until (2019-01-01)",
        ),
        (["--since", "2019-13-01"], "since must be a date as YYYY-MM-DD, got '2019-13-01'"),
    ],
)
def test_bad_filters_are_one_line_naming_the_value(capsys, seed_index_dir, arguments, message):
    assert main(["ask", "Who?", "--index", str(seed_index_dir), *arguments]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_seed_timeline_and_filters_of_issue_19(capsys, seed_index_dir):
    index = rag.load_index(seed_index_dir)
    [when] = ask_json(capsys, "When did Wang Yi visit Pyongyang?", "--index", str(seed_index_dir))
    years = [entry["published"][:4] for entry in when["timeline"]]
    assert years == ["2018", "2019"]
    for entry in when["timeline"]:  # each entry cites its own article, exactly
        citation = entry["citation"]
        text = index.article(citation["doc_id"]).text
        assert text[citation["span"]["start"] : citation["span"]["end"]] == entry["text"]
    # "on Monday" in the 4 Sep 2019 Korea Herald article is Monday 2 Sep 2019
    herald = next(e for e in when["timeline"] if e["citation"]["source"] == "The Korea Herald")
    assert (herald["text"], herald["date"]) == ("Monday", "2019-09-02")
    question = "Who did Wang Yi meet in Pyongyang?"
    [recent] = ask_json(capsys, question, "--index", str(seed_index_dir), "--since", "2019-01-01")
    assert recent["citations"] and all(c["published"] >= "2019-01-01" for c in recent["citations"])
    [scmp] = ask_json(
        capsys, question, "--index", str(seed_index_dir), "--source", "South China Morning Post"
    )
    assert scmp["citations"] and {c["source"] for c in scmp["citations"]} == {"South China Morning Post"}
