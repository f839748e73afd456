"""The reader re-ranker's pure parts: sentence windows, span choice, rows, the shipped file."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from rag.qa.reader import ReaderSpan
from rag.qa.rerank import (
    CONFIDENCE_INPUTS,
    NO_SPAN_MARGIN,
    RERANK_FEATURES,
    ReadSentence,
    best_inside,
    confidence_row,
    question_overlap,
    read_rerank_model,
    rerank_rows,
    sentence_window,
    shipped_rerank_model,
)
from rag.qa.sentences import Candidate
from rag.qa.text import words
from rag.types import Article, Chunk, Hit, Span

TEXT = "Wang Yi arrived on Monday. He met Ri Yong-ho in Pyongyang. They talked about trade."


def _candidate(position: int) -> Candidate:
    article = Article(doc_id="a", title="Visit", text=TEXT)
    spans = (Span(0, 26), Span(27, 58), Span(59, 84))
    chunk = Chunk("a:0", "a", TEXT, 0, len(TEXT), spans)
    hit = Hit("a", "a:0", "Visit", TEXT, 0, len(TEXT), 1.0, 0.5, 3.0)
    return Candidate(article, chunk, hit, 0, spans[position], position, "", "")


def test_window_holds_the_sentence_and_its_neighbours_with_article_offsets():
    middle = sentence_window(_candidate(1), 7)
    assert middle.chunk_id == "sentence:7"
    assert (middle.start, middle.end) == (0, 84)
    assert TEXT[middle.start : middle.end] == middle.text
    first = sentence_window(_candidate(0), 0)
    assert first.text == TEXT[0:58]


def test_question_overlap_counts_content_words():
    stems = frozenset(word.stem for word in words("Who did Wang Yi meet in Pyongyang?"))
    assert question_overlap("Ri Yong-ho", stems) == 0.0
    assert question_overlap("Wang Yi", stems) == 1.0
    assert question_overlap("Foreign Minister Wang Yi", stems) == 0.5
    assert question_overlap("", stems) == 0.0


def test_best_inside_keeps_spans_of_the_sentence_and_penalises_question_words():
    candidate = _candidate(1)
    stems = frozenset(word.stem for word in words("Who did Wang Yi meet in Pyongyang?"))
    wang = TEXT.index("Wang")
    ri = TEXT.index("Ri Yong-ho")
    spans = [
        ReaderSpan("a", wang, wang + 7, 5.0),  # in another sentence: ignored
        ReaderSpan("a", ri, ri + 10, 2.0),
        ReaderSpan("a", TEXT.index("Pyongyang"), TEXT.index("Pyongyang") + 9, 2.5),  # repeats the question
        ReaderSpan("b", ri, ri + 10, 9.0),  # another article
    ]
    plain = best_inside(candidate, spans, stems, overlap_penalty=0.0)
    assert TEXT[plain.span.start : plain.span.end] == "Pyongyang"
    penalised = best_inside(
        candidate, spans, stems, overlap_penalty=1.0, window=sentence_window(candidate, 0)
    )
    assert TEXT[penalised.span.start : penalised.span.end] == "Ri Yong-ho"
    assert (penalised.margin, penalised.overlap) == (2.0, 0.0)
    assert penalised.window_margin == 5.0  # "Wang Yi" in the neighbouring sentence
    empty = best_inside(_candidate(2), spans, stems, overlap_penalty=1.0)
    assert empty.span is None and empty.margin == NO_SPAN_MARGIN


def test_rows_and_confidence_inputs_line_up_with_their_names():
    read = [ReadSentence(Span(0, 2), 3.0, 0.0, 4.0), ReadSentence(None, NO_SPAN_MARGIN, 0.0, 4.0)]
    rows = rerank_rows(np.array([2.0, 1.0]), read)
    assert rows.shape == (2, len(RERANK_FEATURES))
    named = dict(zip(RERANK_FEATURES, rows[1], strict=True))
    assert named == {
        "ranker_logit_gap": -1.0,
        "reader_margin": NO_SPAN_MARGIN,
        "reader_margin_gap": NO_SPAN_MARGIN - 3.0,
        "has_span": 0.0,
        "span_question_overlap": 0.0,
        "margin_below_window": NO_SPAN_MARGIN - 4.0,
    }
    assert rows[0, RERANK_FEATURES.index("margin_below_window")] == -1.0
    inputs = confidence_row(0.5, rows, np.array([1.0, 0.0]), ["a", "a"])
    assert inputs.shape == (len(CONFIDENCE_INPUTS),)
    assert inputs[0] == pytest.approx(0.0) and inputs[1] == 3.0
    assert inputs[CONFIDENCE_INPUTS.index("rival_article_share")] == 0.0


def test_a_close_sentence_of_another_article_is_a_rival_and_the_confidence_falls():
    """A read sentence of another article one score below the winner gives ``exp(-1)``; a far one
    gives about 0; and the shipped confidence falls as the rival comes closer."""
    rows = np.zeros((3, len(RERANK_FEATURES)))
    rival = CONFIDENCE_INPUTS.index("rival_article_share")
    close = confidence_row(0.9, rows, np.array([3.0, 2.0, -5.0]), ["a", "b", "a"])
    assert close[rival] == pytest.approx(math.exp(-1.0))
    far = confidence_row(0.9, rows, np.array([3.0, 2.0, -5.0]), ["a", "a", "b"])
    assert far[rival] == pytest.approx(math.exp(-8.0))
    assert confidence_row(0.9, rows, np.array([3.0, 2.0, -5.0]), ["a", "a", "a"])[rival] == 0.0
    model = shipped_rerank_model()
    assert model.confidence(close) < model.confidence(far)


def test_shipped_rerank_model_reads_and_a_damaged_copy_is_refused(tmp_path: Path):
    model = shipped_rerank_model()
    assert model.depth >= 1 and 0.0 < model.min_score < 1.0
    assert 0.0 <= model.confidence(np.zeros(len(CONFIDENCE_INPUTS))) <= 1.0
    copy = tmp_path / "rerank.json"
    model.save(copy)
    assert read_rerank_model(copy).to_dict() == model.to_dict()
    data = json.loads(copy.read_text())
    data["features"] = data["features"][:-1]
    copy.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="rag train reranker"):
        read_rerank_model(copy)
    with pytest.raises(FileNotFoundError, match="rag train reranker"):
        read_rerank_model(tmp_path / "missing.json")


def test_read_count_skips_sentences_far_below_the_best_and_round_trips(tmp_path: Path):
    model = replace(shipped_rerank_model(), depth=4, max_logit_gap=3.0)
    assert (
        model.read_count(np.array([5.0, 4.0, 2.5, 1.9, 1.8])) == 3
    )  # 1.9 is 3.1 below; the 5th is past depth
    assert model.read_count(np.array([5.0, -9.0])) == 1
    assert model.read_count(np.array([])) == 0
    assert replace(model, max_logit_gap=math.inf).read_count(np.array([5.0, -50.0, -90.0])) == 3
    path = tmp_path / "rerank.json"
    model.save(path)
    assert read_rerank_model(path).max_logit_gap == 3.0
    unlimited = replace(model, max_logit_gap=math.inf)
    unlimited.save(path)
    assert json.loads(path.read_text())["max_logit_gap"] is None
    assert math.isinf(read_rerank_model(path).max_logit_gap)
    data = json.loads(path.read_text())
    data["max_logit_gap"] = -1.0
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="rag train reranker"):
        read_rerank_model(path)
