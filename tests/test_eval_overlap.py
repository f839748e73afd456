"""Question groups of ``rag eval answers``: how much of a question its answer sentence holds."""

from __future__ import annotations

import json

import pytest
from index_fakes import HashingEmbedder
from test_eval_retrieval import TINY_SQUAD

from rag.cli import main
from rag.embed import MODEL_DIMENSION, MODEL_NAME
from rag.eval.overlap import OVERLAP_GROUPS, answer_sentence_overlap, group_report, scores_by_overlap
from rag.eval.scoring import QuestionResult
from rag.eval.squad import SquadAnswer, SquadQuestion

TEXT = "The fighting ended in 1953. Talks began in Geneva a year later."


def question(text: str, answer: str, question_id: str = "q", doc_id: str = "d") -> SquadQuestion:
    return SquadQuestion(question_id, text, doc_id, (SquadAnswer(answer, TEXT.index(answer)),))


def test_overlap_is_counted_in_the_sentence_that_holds_the_answer():
    # content stems of the question: war, end / talk, start, geneva
    assert answer_sentence_overlap(question("When did the war end?", "1953"), TEXT) == 0.5
    assert answer_sentence_overlap(
        question("When did talks start in Geneva?", "a year later"), TEXT
    ) == pytest.approx(2 / 3)
    # the same question scored against the other sentence shares nothing
    assert answer_sentence_overlap(question("When did talks start in Geneva?", "1953"), TEXT) == 0.0


def test_no_overlap_without_content_words_or_an_answer_inside_a_sentence():
    assert answer_sentence_overlap(question("What was it?", "1953"), TEXT) is None
    outside = SquadQuestion("q", "When did the war end?", "d", (SquadAnswer("x", len(TEXT) + 5),))
    assert answer_sentence_overlap(outside, TEXT) is None


def test_groups_cover_every_overlap_once():
    for overlap in (0.0, 0.49, 0.5, 0.74, 0.75, 1.0):
        assert sum(group.holds(overlap) for group in OVERLAP_GROUPS) == 1


def test_scores_are_summarized_per_group():
    questions = [
        question("When did the war end?", "1953", "a"),  # 0.5: partly shared
        question("When did the fighting end?", "1953", "b"),  # 1.0: lexical
        question("When did peace come?", "1953", "c"),  # 0.0: paraphrased
        question("What was it?", "1953", "d"),  # no content word: in no group
    ]
    results = [
        QuestionResult("a", True, True, 0.9, True, 1.0, 1.0, 0.01),
        QuestionResult("b", True, True, 0.8, True, 0.0, 0.5, 0.02),
        QuestionResult("c", True, False, 0.2, False, 0.0, 0.0, 0.03),
        QuestionResult("d", True, True, 0.9, True, 1.0, 1.0, 0.04),
    ]
    groups = scores_by_overlap(questions, results, {"d": TEXT})
    assert list(groups) == ["paraphrased", "partly shared", "lexical"]
    assert [group.questions for group in groups.values()] == [1, 1, 1]
    assert (groups["paraphrased"].sentence_accuracy, groups["paraphrased"].abstention_rate) == (0.0, 1.0)
    assert group_report(groups["lexical"]) == {
        "questions": 1,
        "sentence_accuracy": 1.0,
        "exact_match": 0.0,
        "f1": 0.5,
        "abstention_rate": 0.0,
        "confident_share": 1.0,
        "confident_right": 1.0,
        "latency_p50_ms": 20.0,
    }


def test_eval_answers_reports_the_groups(tmp_path, monkeypatch, capsys):
    fake = HashingEmbedder(model_name=MODEL_NAME, dimension=MODEL_DIMENSION)
    monkeypatch.setattr("rag.index.base.get_embedder", lambda: fake)
    squad_file = tmp_path / "tiny-squad.json"
    squad_file.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    arguments = ["eval", "answers", str(squad_file), "--no-reader", "--index-dir", str(tmp_path / "index")]
    assert main([*arguments, "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)["by_overlap"]
    # q1 "Which team defeated the Panthers?": defeated, Panthers of 3; the others share all
    assert {name: group["questions"] for name, group in groups.items()} == {"partly shared": 1, "lexical": 3}
    assert main(arguments) == 0
    assert "question words in the answer sentence" in capsys.readouterr().out


def test_eval_answers_writes_one_detail_line_per_question(tmp_path, monkeypatch, capsys):
    fake = HashingEmbedder(model_name=MODEL_NAME, dimension=MODEL_DIMENSION)
    monkeypatch.setattr("rag.index.base.get_embedder", lambda: fake)
    squad_file = tmp_path / "tiny-squad.json"
    squad_file.write_text(json.dumps(TINY_SQUAD), encoding="utf-8")
    details = tmp_path / "details.jsonl"
    arguments = ["eval", "answers", str(squad_file), "--no-reader", "--index-dir", str(tmp_path / "index")]
    assert main([*arguments, "--json", "--details", str(details)]) == 0
    report = json.loads(capsys.readouterr().out)
    lines = [json.loads(line) for line in details.read_text(encoding="utf-8").splitlines()]
    asked = [qa for page in TINY_SQUAD["data"] for paragraph in page["paragraphs"] for qa in paragraph["qas"]]
    assert sorted(line["id"] for line in lines) == sorted(qa["id"] for qa in asked)
    assert sum(line["sentence_correct"] for line in lines) / len(lines) == report["sentence_accuracy"]
    for line in lines:
        qa = next(qa for qa in asked if qa["id"] == line["id"])
        assert line["question"] == qa["question"]
        assert line["references"] == sorted({answer["text"] for answer in qa["answers"]})
        assert line["answer"] and line["answer"] in line["sentence"]
        assert line["note"] == ""  # three articles: fewer than a note needs
