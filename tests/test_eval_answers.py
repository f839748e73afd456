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
