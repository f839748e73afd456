"""Refits from records: the same tiny records give byte-identical model files, which the runtime
loaders read (``rag.qa.model.read_model``, ``rag.qa.rerank.read_rerank_model``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.cli import main as rag_main
from rag.qa.calibration import CONFIDENCE_FEATURES
from rag.qa.features import FEATURE_NAMES
from rag.qa.model import read_model
from rag.qa.rerank import RERANK_FEATURES, read_rerank_model
from rag.qa.spans import SPAN_FEATURE_NAMES
from rag.training import ranker, reranker
from rag.training.ranker_records import QuestionCandidates, RankerRecords, read_ranker_records
from rag.training.rerank_records import (
    QuestionRecord,
    RerankRecords,
    SentenceRecord,
    SpanRecord,
    read_rerank_records,
)

pytest.importorskip("sklearn")
pytest.importorskip("scipy")

#: Column of the sentence features that marks the right candidate in the tiny records.
SIGNAL = FEATURE_NAMES.index("overlap_idf")


def tiny_ranker_records() -> RankerRecords:
    """Sixteen questions on four titles (both confidence folds get some), three candidates each;
    the right candidate of an answerable question has a high ``overlap_idf``; the last four
    questions are unanswerable (no right candidate)."""
    rng = np.random.default_rng(3)
    questions = []
    for number in range(16):
        answerable = number < 12
        features = rng.normal(size=(3, len(FEATURE_NAMES)))
        labels = np.zeros(3, dtype=np.int8)
        if answerable:
            right = number % 3
            labels[right] = 1
            features[right, SIGNAL] += 4.0
        questions.append(
            QuestionCandidates(
                question_id=f"q{number}",
                title=f"title {number % 4}",
                answerable=answerable,
                features=features,
                labels=labels,
                doc_ids=("d1", "d1", "d2"),
                unseen=0.1 * number,
                question_words=3 + number,
            )
        )
    span_features = rng.normal(size=(6, len(SPAN_FEATURE_NAMES)))
    span_labels = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])
    info = {"train_file": "tiny.json", "embedding_backend": "none"}
    return RankerRecords(tuple(questions), span_features, span_labels, 0.5, info)


def sentence(
    logit: float, right: bool, margin: float | None, overlap: float = 0.0, doc: str = "d1"
) -> SentenceRecord:
    spans = () if margin is None else (SpanRecord(0, 3, margin, overlap, float(right), float(right)),)
    return SentenceRecord(logit, right, margin if margin is not None else -10.0, spans, doc)


def tiny_rerank_records() -> RerankRecords:
    """Four answerable questions (the reader's margin finds the right sentence where the ranker
    does not, twice) and two unanswerable ones, three read sentences each."""
    answerable = (
        QuestionRecord(
            "a1", 0.8, (sentence(3.0, True, 4.0), sentence(1.0, False, 0.5), sentence(0.0, False, None))
        ),
        QuestionRecord(
            "a2", 0.6, (sentence(2.0, False, -1.0, 0.5), sentence(1.5, True, 5.0), sentence(0.5, False, 1.0))
        ),
        QuestionRecord(
            "a3",
            0.5,
            (sentence(2.5, False, 0.0), sentence(2.0, False, -2.0, doc="d2"), sentence(1.0, True, 6.0)),
        ),
        QuestionRecord(
            "a4", 0.7, (sentence(4.0, True, 3.0), sentence(0.5, False, 2.0), sentence(0.2, False, None))
        ),
    )
    unanswerable = (
        QuestionRecord("u1", 0.3, (sentence(1.0, False, -3.0), sentence(0.8, False, -4.0, doc="d2"))),
        QuestionRecord("u2", 0.2, (sentence(0.5, False, None), sentence(0.4, False, -5.0, 1.0))),
    )
    return RerankRecords(answerable, unanswerable, {"train_file": "tiny.json", "records_depth": 3})


def test_ranker_records_round_trip(tmp_path: Path):
    records = tiny_ranker_records()
    again = read_ranker_records(records.save(tmp_path / "records"))
    assert [q.question_id for q in again.questions] == [q.question_id for q in records.questions]
    for before, after in zip(records.questions, again.questions, strict=True):
        assert np.array_equal(before.features, after.features) and np.array_equal(before.labels, after.labels)
        assert (before.doc_ids, before.unseen, before.answerable) == (
            after.doc_ids,
            after.unseen,
            after.answerable,
        )
    assert np.array_equal(again.span_features, records.span_features)
    assert again.info == records.info


def test_ranker_refit_from_the_same_records_is_byte_identical_and_loads(tmp_path: Path):
    folder = tiny_ranker_records().save(tmp_path / "records")
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    ranker.fit_from_records(folder, first)
    # the second fit through the command, as a user would refit: no train file, no check
    assert rag_main(["train", "ranker", "--records", str(folder), "--out", str(second), "--no-check"]) == 0
    assert first.read_bytes() == second.read_bytes()
    model = read_model(first)
    model.check(FEATURE_NAMES, CONFIDENCE_FEATURES, SPAN_FEATURE_NAMES)
    assert model.info["fitted_by"] == "rag train ranker"
    assert model.info["records_digest"] == ranker.records_digest(folder)
    assert model.info["train_file"] == "tiny.json"


def test_reranker_refit_from_the_same_records_is_byte_identical_and_loads(tmp_path: Path):
    folder = tiny_rerank_records().save(tmp_path / "records")
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    reranker.fit_from_records(folder, first, max_depth=3)
    assert (
        rag_main(["train", "reranker", "--records", str(folder), "--out", str(second), "--max-depth", "3"])
        == 0
    )
    assert first.read_bytes() == second.read_bytes()
    model = read_rerank_model(first)
    assert 1 <= model.depth <= 3 and model.weights.shape == (len(RERANK_FEATURES),)
    assert model.info["fitted_by"] == "rag train reranker" and model.info["answerable_questions"] == 4
    assert model.info["records_digest"] == reranker.records_digest(folder)
    assert read_rerank_records(folder) == tiny_rerank_records()


def test_records_of_another_kind_or_feature_set_are_refused(tmp_path: Path):
    ranker_folder = tiny_ranker_records().save(tmp_path / "ranker")
    rerank_folder = tiny_rerank_records().save(tmp_path / "reranker")
    with pytest.raises(ValueError, match="holds 'ranker' records of format 1, expected 'reranker'"):
        read_rerank_records(ranker_folder)
    with pytest.raises(ValueError, match="holds 'reranker' records"):
        read_ranker_records(rerank_folder)
    manifest = ranker_folder / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"overlap_idf"', '"renamed"'))
    with pytest.raises(ValueError, match="feature_names differ from the code's.*--recollect"):
        read_ranker_records(ranker_folder)
    with pytest.raises(FileNotFoundError, match="no ranker records in"):
        read_ranker_records(tmp_path / "nowhere")
