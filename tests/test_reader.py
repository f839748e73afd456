"""Span reader at run time: span decoding, SQuAD metrics, settings, the missing-model error, and a
real answer. Windows with their training labels, and the other training pieces, are tested in
test_training_reader.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.reader import ReaderModelMissingError, ReaderSettings, SpanReader
from rag.reader.decode import best_span, best_spans
from rag.reader.features import WindowSettings
from rag.reader.squad import exact_match, f1_score, normalize_answer

# window of 6 tokens: [CLS] q [SEP] "Ri"(0,2) "Yong"(3,7) [SEP]
OFFSETS = np.array([[-1, -1], [-1, -1], [-1, -1], [0, 2], [3, 7], [-1, -1]])


def test_best_span_respects_order_length_and_passage_tokens():
    start = np.array([9.0, 8.0, 0.0, 1.0, 4.0, 7.0])
    end = np.array([9.0, 8.0, 0.0, 6.0, 2.0, 7.0])
    span = best_span(start, end, OFFSETS, max_answer_tokens=2)
    # only passage tokens 3-4 count: (3, 3) = 7 beats (4, 4) = 6 and (3, 4) = 3; (4, 3) = 10 runs backwards
    assert (span.start, span.end, span.score, span.no_answer_score) == (0, 2, 7.0, 18.0)


def test_best_span_max_answer_tokens():
    start = np.array([0.0, 0.0, 0.0, 5.0, 0.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 0.0, 5.0, 0.0])
    two_tokens = best_span(start, end, OFFSETS, max_answer_tokens=2)
    assert (two_tokens.start, two_tokens.end, two_tokens.score) == (0, 7, 10.0)
    assert best_span(start, end, OFFSETS, max_answer_tokens=1).score == 5.0
    with pytest.raises(ValueError, match="max_answer_tokens must be >= 1, got 0"):
        best_span(start, end, OFFSETS, max_answer_tokens=0)


def test_best_span_keeps_whole_words():
    # passage tokens 3 = "Ri" (0, 2), 4 = "##yong" (2, 6) continues it: no span may start on 4 or end on 3
    offsets = np.array([[-1, -1], [-1, -1], [-1, -1], [0, 2], [2, 6], [-1, -1]])
    continuation = np.array([False, False, False, False, True, False])
    start = np.array([0.0, 0.0, 0.0, 1.0, 9.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 2.0, 1.0, 0.0])
    assert best_span(start, end, offsets, 5).start == 2  # unmasked: "yong", starting inside the word
    whole = best_span(start, end, offsets, 5, continuation)
    assert (whole.start, whole.end, whole.score) == (0, 6, 2.0)


def test_best_spans_do_not_overlap():
    start = np.array([0.0, 0.0, 0.0, 3.0, 2.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 3.0, 2.0, 0.0])
    spans = best_spans(start, end, OFFSETS, max_answer_tokens=2, count=3)
    assert [(span.start, span.end, span.score) for span in spans] == [(0, 2, 6.0), (3, 7, 4.0)]


def test_squad_metrics():
    assert normalize_answer("The  Ri Yong-ho!") == "ri yongho"
    assert exact_match("the Ri Yong-ho", ("Ri Yong-ho",)) == 1.0
    assert f1_score("Ri Yong-ho in Pyongyang", ("Ri Yong-ho",)) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert f1_score("Pyongyang", ("Ri Yong-ho",)) == 0.0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"batch_size": 0}, "batch_size must be >= 1, got 0"),
        ({"max_answer_tokens": 0}, "max_answer_tokens must be >= 1, got 0"),
        ({"spans_per_passage": 0}, "spans_per_passage must be >= 1, got 0"),
        ({"max_length": 256, "stride": 200}, r"stride must be in \[0, max_length / 2\), got 200"),
    ],
)
def test_reader_settings_name_the_bad_value(settings, message):
    with pytest.raises(ValueError, match=message):
        ReaderSettings(**settings)


def test_window_settings_name_the_bad_value():
    with pytest.raises(ValueError, match="max_length must be >= 32, got 8"):
        WindowSettings(max_length=8)
    with pytest.raises(ValueError, match="threads must be >= 1, got 0"):
        SpanReader(threads=0)


def test_missing_model_names_path_and_training_command(tmp_path: Path):
    reader = SpanReader(tmp_path / "nowhere")
    with pytest.raises(ReaderModelMissingError, match=r"nowhere/reader-int8\.onnx.*rag train reader"):
        reader.read("Who?", ["Someone met someone."])


def test_bad_passage_type_points_to_the_right_call(tmp_path: Path):
    with pytest.raises(
        TypeError, match="passage 1 must be a str or a tuple whose first item is the passage text"
    ):
        SpanReader(tmp_path).read("Who?", ["text", 42])


def test_empty_question_or_passages_give_no_candidates(tmp_path: Path):
    reader = SpanReader(tmp_path / "nowhere")  # never loads: nothing to read
    assert reader.read("Who?", []) == []
    assert reader.read("  ", ["Some text."]) == []


def _seed_paragraph(seeds_dir: Path, needle: str) -> str:
    for path in sorted(seeds_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if needle in line:
                return line.strip()
    raise AssertionError(f"no seed line contains {needle!r}")


@pytest.fixture(scope="module")
def shipped_reader() -> SpanReader:
    reader = SpanReader()
    reader.warm_up()  # the shipped model must be there: a missing file fails here, naming it
    return reader


@pytest.mark.slow
def test_reader_answers_with_exact_offsets(shipped_reader: SpanReader, seeds_dir: Path):
    distractor = _seed_paragraph(seeds_dir, "more than 90 per cent")
    passage = _seed_paragraph(seeds_dir, "Wang Yi met with North Korean Foreign Minister")
    candidates = shipped_reader.read("Who did Wang Yi meet in Pyongyang?", [distractor, (passage, "chunk-2")])
    best = candidates[0]
    assert best.passage_index == 1
    assert "Ri Yong-ho" in best.text
    assert passage[best.start : best.end] == best.text
    assert best.score > best.no_answer_score
    assert [candidate.passage_index for candidate in candidates] == [1, 0]


@pytest.mark.slow
def test_reader_long_passage_windows_keep_offsets(shipped_reader: SpanReader, seeds_dir: Path):
    passage = _seed_paragraph(seeds_dir, "Wang Yi met with North Korean Foreign Minister")
    long_passage = " ".join(["The weather in the region was mild and dry that week."] * 40 + [passage])
    settings = ReaderSettings(max_length=128, stride=32)
    [best] = shipped_reader.read("Who did Wang Yi meet in Pyongyang?", [long_passage], settings)
    assert "Ri Yong-ho" in best.text
    assert long_passage[best.start : best.end] == best.text
    assert best.start > long_passage.index(passage) - 1


@pytest.mark.slow
def test_reader_threads_give_the_same_spans_bit_for_bit(seed_articles):
    # Every paragraph of the seeds, several batches of 16 windows of different lengths: int8 products
    # are split across threads by rows and columns, so 1, 2 and 3 threads must agree exactly.
    passages = [
        part.strip() for article in seed_articles for part in article.text.split("\n\n") if part.strip()
    ]
    assert len(passages) > 16
    settings = ReaderSettings(spans_per_passage=3)
    question = "What did the foreign minister say about the talks?"
    readings = [SpanReader(threads=threads).read(question, passages, settings) for threads in (1, 2, 3)]
    assert len(readings[0]) >= len(passages)
    assert readings[1] == readings[0] and readings[2] == readings[0]


def test_reader_threads_default_and_variable(monkeypatch):
    from rag.reader.reader import MAX_DEFAULT_THREADS, THREADS_VARIABLE, default_threads

    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert 1 <= default_threads() <= MAX_DEFAULT_THREADS
    assert SpanReader().threads == default_threads()
    monkeypatch.setenv(THREADS_VARIABLE, "3")
    assert default_threads() == 3 and SpanReader().threads == 3
    assert SpanReader(threads=1).threads == 1
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv(THREADS_VARIABLE, bad)
        with pytest.raises(ValueError, match=f"RAG_READER_THREADS must be a whole number >= 1, got '{bad}'"):
            default_threads()


@pytest.mark.slow
def test_hit_reader_maps_spans_to_article_offsets(shipped_reader: SpanReader, seed_articles):
    from rag.reader import HitReader
    from rag.types import Hit

    needle = "Wang Yi met with North Korean Foreign Minister"
    article = next(article for article in seed_articles if needle in article.text)
    start = article.text.index(needle)
    end = article.text.index(".", start) + 1
    hit = Hit(
        doc_id=article.doc_id,
        chunk_id="c1",
        title=article.title,
        text=article.text[start:end],
        start=start,
        end=end,
        score=1.0,
        dense_score=0.5,
        bm25_score=3.0,
    )
    spans = HitReader(shipped_reader, spans_per_hit=2).read("Who did Wang Yi meet in Pyongyang?", [hit])
    assert len(spans) == 2
    best = spans[0]
    assert "Ri Yong-ho" in best.text
    assert article.text[best.start : best.end] == best.text
    assert (best.doc_id, best.chunk_id, best.hit_index) == (article.doc_id, "c1", 0)
    assert best.score == pytest.approx(best.span_score - best.no_answer_score)


def test_hit_reader_rejects_plain_strings(tmp_path: Path):
    from rag.reader import HitReader

    with pytest.raises(TypeError, match="passage 0 must be a rag.types.Hit, got str"):
        HitReader(SpanReader(tmp_path)).read("Who?", ["text"])
    with pytest.raises(ValueError, match="spans_per_hit must be >= 1, got 0"):
        HitReader(spans_per_hit=0)
