"""``rag eval answers`` scoring: SQuAD normalization, EM, F1, sentence hits, percentiles."""

from __future__ import annotations

import pytest

from rag.eval.scoring import (
    QuestionResult,
    exact_match,
    f1_score,
    normalize_answer,
    percentile,
    sentence_holds,
    sentence_holds_strict,
    summarize,
)


def test_normalize_answer_follows_squad():
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an Apple, a day") == "apple day"


def test_exact_match_and_f1():
    assert exact_match("the Broncos", ["Broncos", "Denver"]) == 1.0
    assert exact_match("Denver Broncos", ["Broncos"]) == 0.0
    assert f1_score("Denver Broncos", ["Broncos"]) == pytest.approx(2 / 3)
    assert f1_score("Carolina", ["Broncos"]) == 0.0


def test_sentence_holds_whole_words_only():
    assert sentence_holds("It opened on October 1, 1949.", ["October 1"])
    assert not sentence_holds("It opened in 1949.", ["49"])
    assert not sentence_holds("Anything.", [""])


def test_sentence_holds_reads_punctuation_as_a_word_break():
    # SQuAD's normalization deletes punctuation: "Darwin's" -> "darwins", "39-yard" -> "39yard".
    darwin = "Smith wrote a hundred years before Charles Darwin's theory of evolution."
    assert not sentence_holds_strict(darwin, ["Charles Darwin"])
    assert sentence_holds(darwin, ["Charles Darwin"])
    assert sentence_holds("Then Gano's 39-yard field goal cut the deficit.", ["39"])
    assert sentence_holds("The rate is temperature-dependent.", ["temperature"])
    # still whole words, and what the strict check accepts stays accepted
    assert not sentence_holds("It opened in 1949-50.", ["49"])
    assert sentence_holds("Ri Yong-ho met him.", ["Ri Yongho"])
    assert not sentence_holds("Anything.", ["", "!"])


def test_judge_keeps_the_strict_figure_beside():
    from rag.eval.scoring import judge
    from rag.eval.squad import SquadAnswer, SquadQuestion
    from rag.types import Answer

    sentence = "Smith wrote before Charles Darwin's theory."
    answer = Answer(
        question="Whose theory?", found=True, text="Charles Darwin's", sentence=sentence, score=0.9
    )
    question = SquadQuestion("q1", "Whose theory?", "d", (SquadAnswer("Charles Darwin", 19),))
    result = judge(question, answer, 0.01)
    assert (result.sentence_correct, result.sentence_correct_strict) == (True, False)
    scores = summarize([result])
    assert (scores.sentence_accuracy, scores.strict_sentence_accuracy) == (1.0, 0.0)


def test_percentile_nearest_rank():
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile([], 0.5)) == (3.0, 5.0, 0.0)


def test_summarize_counts_abstentions_and_answered_only_scores():
    results = [
        QuestionResult("a", True, True, 0.9, True, 1.0, 1.0, 0.010),
        QuestionResult("b", True, False, 0.1, True, 0.0, 0.5, 0.020),
        QuestionResult("c", True, True, 0.6, False, 0.0, 0.0, 0.030),
    ]
    scores = summarize(results)
    assert scores.questions == 3
    assert scores.sentence_accuracy == pytest.approx(2 / 3)
    assert scores.abstention_rate == pytest.approx(1 / 3)
    assert scores.answered_sentence_accuracy == pytest.approx(1 / 2)
    assert scores.f1 == pytest.approx(0.5)
    assert scores.latency_p50_ms == pytest.approx(20.0)


def test_calibration_bins_and_the_confident_share():
    results = [
        QuestionResult("a", True, True, 0.95, True, 1.0, 1.0, 0.01),
        QuestionResult("b", True, True, 0.91, False, 0.0, 0.0, 0.01),
        QuestionResult("c", True, True, 1.0, True, 1.0, 1.0, 0.01),  # 1.0 falls in the last bin
        QuestionResult("d", True, False, 0.12, True, 1.0, 1.0, 0.01),
        # about an article that is not indexed: never right, even when its sentence holds the words
        QuestionResult("e", False, True, 0.55, True, 0.0, 0.0, 0.01),
    ]
    scores = summarize(results)
    bins = {(b.low, b.high): b for b in scores.score_bins}
    assert sorted(bins) == [(0.1, 0.2), (0.5, 0.6), (0.9, 1.0)]
    assert bins[(0.9, 1.0)].questions == 3 and bins[(0.9, 1.0)].right == pytest.approx(2 / 3)
    assert bins[(0.9, 1.0)].mean_score == pytest.approx((0.95 + 0.91 + 1.0) / 3)
    assert bins[(0.5, 0.6)].right == 0.0 and bins[(0.1, 0.2)].right == 1.0
    assert scores.confident_share == pytest.approx(4 / 5)
    assert scores.confident_right == pytest.approx(2 / 4)
    assert scores.to_dict()["score_bins"][0] == {
        "low": 0.1,
        "high": 0.2,
        "questions": 1,
        "mean_score": 0.12,
        "right": 1.0,
    }


def _squad_page(title: str, paragraphs: list[str]) -> dict:
    return {
        "title": title,
        "paragraphs": [
            {
                "context": text,
                "qas": [
                    {
                        "id": f"{title}-{number}",
                        "question": f"What is said in paragraph {number}?",
                        "answers": [
                            {"text": text.split()[-1], "answer_start": text.rindex(text.split()[-1])}
                        ],
                    }
                ],
            }
            for number, text in enumerate(paragraphs)
        ],
    }


def test_documents_join_consecutive_paragraphs_of_one_page(tmp_path):
    import json

    from rag.eval.documents import join_paragraphs, word_count
    from rag.eval.squad import load_squad

    def paragraph(number: int, words: int) -> str:
        return " ".join(f"w{number}x{i}" for i in range(words - 1)) + f" end{number}."

    pages = [
        _squad_page("Page_one", [paragraph(n, 250) for n in range(7)]),
        _squad_page("Page_two", [paragraph(10 + n, 120) for n in range(2)]),
    ]
    path = tmp_path / "squad.json"
    path.write_text(json.dumps({"data": pages}), encoding="utf-8")
    data = load_squad(path)
    documents = join_paragraphs(data, min_words=600, max_words=800)

    sizes = [word_count(article.text) for article in documents.articles]
    # 7 x 250 words -> 750 + 750 + a 250-word tail (750 + 250 > 800, so it stays alone); page two
    # is never joined to page one.
    assert sizes == [750, 750, 250, 240]
    assert [article.title for article in documents.articles] == ["Page one"] * 3 + ["Page two"]
    by_id = {article.doc_id: article for article in documents.articles}
    assert len(documents.questions) == len(data.questions) == 9
    for before, after in zip(data.questions, documents.questions, strict=True):
        assert after.question_id == before.question_id
        text = by_id[after.doc_id].text
        for answer in after.answers:
            assert text[answer.start : answer.end] == answer.text
    # Same input, same ids (the evaluation cache relies on it).
    assert [a.doc_id for a in join_paragraphs(data).articles] == list(by_id)


def test_documents_reject_bad_bounds():
    from rag.eval.documents import join_paragraphs
    from rag.eval.squad import SquadSet

    with pytest.raises(ValueError, match="min_words"):
        join_paragraphs(SquadSet(articles=(), questions=()), min_words=900, max_words=800)
