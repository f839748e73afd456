"""SQuAD loading and ``rag eval retrieval`` on a tiny SQuAD-format file."""

from __future__ import annotations

import json

import pytest
from index_fakes import HashingEmbedder

from rag.cli import main
from rag.embed import MODEL_DIMENSION, MODEL_NAME
from rag.eval.retrieval import (
    evaluate_retrieval,
    evaluation_methods,
    mean_reciprocal_rank,
    passage_rank,
    passage_ranking,
    passage_recall_at_k,
)
from rag.eval.squad import load_squad, paragraph_doc_id, sample_questions
from rag.index import build_index
from rag.types import Hit

TINY_SQUAD = {
    "version": "1.1",
    "data": [
        {
            "title": "Super_Bowl_50",
            "paragraphs": [
                {
                    "context": "The Denver Broncos defeated the Carolina Panthers 24-10 to win Super Bowl 50.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Which team defeated the Panthers?",
                            "answers": [{"text": "Denver Broncos", "answer_start": 4}],
                        },
                    ],
                },
                {
                    "context": "The game was played at Levi's Stadium in Santa Clara, California.",
                    "qas": [
                        {
                            "id": "q2",
                            "question": "Where was the stadium of the game?",
                            "answers": [{"text": "Santa Clara, California", "answer_start": 41}],
                        },
                    ],
                },
            ],
        },
        {
            "title": "Oxygen",
            "paragraphs": [
                {
                    "context": "Oxygen is a chemical element with symbol O and atomic number 8.",
                    "qas": [
                        {
                            "id": "q3",
                            "question": "What is the atomic number of oxygen?",
                            "answers": [{"text": "8", "answer_start": 61}],
                        },
                        {
                            "id": "q4",
                            "question": "What symbol does the element have?",
                            "answers": [{"text": "O", "answer_start": 41}],
                        },
                    ],
                },
            ],
        },
    ],
}


@pytest.fixture
def squad_file(tmp_path):
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    return path


def hit(doc_id: str) -> Hit:
    return Hit(doc_id, f"{doc_id}-0000", "t", "x", 0, 1, 1.0, 0.5, 2.0)


# -- SQuAD loading -----------------------------------------------------------------------


def test_load_squad_makes_one_article_per_paragraph(squad_file):
    data = load_squad(squad_file)
    assert [article.title for article in data.articles] == ["Super Bowl 50", "Super Bowl 50", "Oxygen"]
    assert [question.question_id for question in data.questions] == ["q1", "q2", "q3", "q4"]
    first = data.articles[0]
    assert first.doc_id == paragraph_doc_id("Super Bowl 50", first.text)
    assert first.doc_id.startswith("squad-") and len(first.doc_id) == len("squad-") + 16
    assert data.questions[3].doc_id == data.articles[2].doc_id
    for question in data.questions:
        article = data.article(question.doc_id)
        for answer in question.answers:
            assert article.text[answer.start : answer.end] == answer.text


def test_doc_ids_are_stable_across_loads(squad_file):
    assert [a.doc_id for a in load_squad(squad_file).articles] == [
        a.doc_id for a in load_squad(squad_file).articles
    ]


def test_missing_squad_file_says_where_eval_files_live(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"SQuAD file not found: .*absent.json; .*shared/eval"):
        load_squad(tmp_path / "absent.json")


def test_malformed_squad_file_is_named(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"data": [{"paragraphs": []}]}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.json: unexpected SQuAD layout \(KeyError: 'title'\)"):
        load_squad(path)
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.json is not a SQuAD-format JSON file"):
        load_squad(path)


def test_sample_questions_is_deterministic(squad_file):
    questions = load_squad(squad_file).questions
    assert sample_questions(questions) == list(questions)
    first = [q.question_id for q in sample_questions(questions, limit=2, seed=3)]
    assert first == [q.question_id for q in sample_questions(questions, limit=2, seed=3)]
    assert len(set(first)) == 2
    with pytest.raises(ValueError, match="limit must be >= 1, got 0"):
        sample_questions(questions, limit=0)


# -- metrics -----------------------------------------------------------------------------


def test_passage_ranking_keeps_first_chunk_of_each_article():
    assert passage_ranking([hit("a"), hit("b"), hit("a"), hit("c")]) == ["a", "b", "c"]
    assert passage_rank(["a", "b", "c"], "c") == 3
    assert passage_rank(["a", "b"], "z") is None


def test_recall_and_mrr_are_exact():
    ranks = [1, 3, None, 2]
    assert passage_recall_at_k(ranks, 1) == 0.25
    assert passage_recall_at_k(ranks, 2) == 0.5
    assert passage_recall_at_k(ranks, 20) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert passage_recall_at_k([], 5) == mean_reciprocal_rank([]) == 0.0


def test_evaluate_retrieval_scores_each_method(squad_file):
    data = load_squad(squad_file)
    index = build_index(list(data.articles), embedder=HashingEmbedder())
    results = {result.method: result for result in evaluate_retrieval(index, data.questions)}
    assert list(results) == ["bm25", "dense", "fused"]
    # Every question shares a rare word with its own paragraph only.
    assert results["bm25"].recall == {1: 1.0, 5: 1.0, 20: 1.0}
    assert results["bm25"].mrr == 1.0
    assert results["fused"].questions == 4
    assert results["fused"].to_dict()["recall@20"] == 1.0


def test_evaluation_methods_compare_single_signals_with_the_default():
    methods = evaluation_methods()
    assert methods["bm25"].weights() == {"bm25": 1.0, "dense": 0.0, "sentence_bm25": 0.0}
    assert methods["dense"].weights() == {"bm25": 0.0, "dense": 1.0, "sentence_bm25": 0.0}
    assert methods["fused"] == type(methods["fused"])()


# -- the command -------------------------------------------------------------------------


def test_eval_retrieval_command_prints_json_and_reuses_its_index(squad_file, tmp_path, monkeypatch, capsys):
    fake = HashingEmbedder(model_name=MODEL_NAME, dimension=MODEL_DIMENSION)
    monkeypatch.setattr("rag.index.base.get_embedder", lambda: fake)
    arguments = ["eval", "retrieval", str(squad_file), "--json", "--index-dir", str(tmp_path / "eval-index")]
    assert main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["questions"], report["passages"], report["chunks"]) == (4, 3, 3)
    assert [row["method"] for row in report["results"]] == ["bm25", "dense", "fused"]
    assert report["results"][0]["recall@1"] == 1.0
    embedded = fake.encoded
    assert main(arguments) == 0
    assert "embedded 0" in capsys.readouterr().err
    assert fake.encoded == embedded  # the cached index is reused; questions are cached too


def test_eval_retrieval_command_reports_a_missing_file(tmp_path, capsys):
    assert main(["eval", "retrieval", str(tmp_path / "absent.json")]) == 2
    assert "SQuAD file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_retrieval_command_with_the_real_model(squad_file, tmp_path, capsys):
    arguments = ["eval", "retrieval", str(squad_file), "--limit", "3", "--index-dir", str(tmp_path / "index")]
    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert "3 of 4 questions, sampled with seed 0" in output
    assert [line.split()[0] for line in output.splitlines()[2:5]] == ["bm25", "dense", "fused"]
