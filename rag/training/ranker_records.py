"""The sentence ranker's training records: every train question's candidate sentences with
features and labels, and the span candidates of its gold sentence, kept in a folder.

Collecting them asks every train question through ``rag.QA`` (whole train corpus indexed; then
half of it, for unanswerable questions) with an all-zero model, so the features do not depend on
any fitted model. ``rag.training.ranker_fit`` fits from them alone, so the same records always
give the same model file.

A records folder holds ``manifest.json`` (format, feature names, what was collected),
``questions.json`` (one entry per question), ``candidate_features.npy``/``candidate_labels.npy``
(the questions' candidates, concatenated in question order) and ``span_features.npy``/
``span_labels.npy``.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from rag.chunk import split_sentences
from rag.eval.answers import split_half
from rag.eval.scoring import exact_match
from rag.eval.scoring import sentence_holds_strict as sentence_holds  # the shipped fits' labels
from rag.eval.squad import SquadQuestion, SquadSet
from rag.qa.answerer import QA
from rag.qa.calibration import CONFIDENCE_FEATURES
from rag.qa.features import FEATURE_NAMES, view_sentence
from rag.qa.model import QAModel, Scorer
from rag.qa.questions import analyze
from rag.qa.spans import SPAN_FEATURE_NAMES, span_candidates, span_features
from rag.training.vectors import VectorCache, corpus_shards, in_memory_index

log = logging.getLogger(__name__)

RECORDS_FORMAT = 1
RECORDS_KIND = "ranker"
#: Passages per question when collecting candidates (the answerer's default k).
TRAIN_K = 5
#: Seed of the train-question sample (``limit``) and of the indexed/held-out halves.
SEED = 0
#: Questions between two progress lines.
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class QuestionCandidates:
    """One question's candidate sentences: their feature rows and labels (1: holds a reference
    answer), and what the confidence features need besides.

    Attributes:
        question_id, title: the SQuAD question and its article title (confidence folds by title).
        answerable: asked of the whole corpus (True) or of the half without its paragraph.
        features: ``[candidates, len(FEATURE_NAMES)]`` float64.
        labels: ``[candidates]`` int8.
        doc_ids: each candidate's article id.
        unseen: the question's ``unseen_weight`` confidence input.
        question_words: distinct content-word stems of the question.
    """

    question_id: str
    title: str
    answerable: bool
    features: np.ndarray
    labels: np.ndarray
    doc_ids: tuple[str, ...]
    unseen: float
    question_words: int


@dataclass(frozen=True)
class RankerRecords:
    """Everything the ranker, confidence and span fits read.

    Attributes:
        questions: answerable questions first, then unanswerable ones.
        span_features, span_labels: span candidates of gold sentences (``SPAN_FEATURE_NAMES``
            columns) and their exact-match labels.
        span_recall: share of gold sentences where some candidate matched (for the log).
        info: how they were collected (train file, counts, ``k``, embedding backend).
    """

    questions: tuple[QuestionCandidates, ...]
    span_features: np.ndarray
    span_labels: np.ndarray
    span_recall: float
    info: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: Path) -> Path:
        """Write the records into ``folder`` (replaced whole, never left half-written)."""
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        manifest = {
            "format": RECORDS_FORMAT,
            "kind": RECORDS_KIND,
            "feature_names": list(FEATURE_NAMES),
            "confidence_features": list(CONFIDENCE_FEATURES),
            "span_feature_names": list(SPAN_FEATURE_NAMES),
            "span_recall": self.span_recall,
            "info": self.info,
        }
        entries = [
            {
                "question_id": q.question_id,
                "title": q.title,
                "answerable": q.answerable,
                "doc_ids": list(q.doc_ids),
                "unseen": q.unseen,
                "question_words": q.question_words,
                "candidates": len(q.labels),
            }
            for q in self.questions
        ]
        width = len(FEATURE_NAMES)
        features = [q.features.reshape(-1, width) for q in self.questions]
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        (partial / "questions.json").write_text(json.dumps(entries) + "\n", encoding="utf-8")
        np.save(partial / "candidate_features.npy", np.concatenate(features or [np.zeros((0, width))]))
        labels = [q.labels.astype(np.int8) for q in self.questions]
        np.save(partial / "candidate_labels.npy", np.concatenate(labels or [np.zeros(0, np.int8)]))
        np.save(partial / "span_features.npy", self.span_features)
        np.save(partial / "span_labels.npy", self.span_labels)
        shutil.rmtree(folder, ignore_errors=True)
        partial.replace(folder)
        return folder


def read_ranker_records(folder: Path) -> RankerRecords:
    """Records written by :meth:`RankerRecords.save`.

    Raises:
        FileNotFoundError: ``folder`` has no ``manifest.json``.
        ValueError: another format or kind, or feature names that differ from the code's (the
            features changed since: collect again with ``rag train ranker --recollect``).
    """
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        raise FileNotFoundError(f"no ranker records in {folder} (missing manifest.json)")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != RECORDS_FORMAT or manifest.get("kind") != RECORDS_KIND:
        raise ValueError(
            f"{folder} holds {manifest.get('kind')!r} records of format {manifest.get('format')!r}, "
            f"expected {RECORDS_KIND!r} format {RECORDS_FORMAT}"
        )
    for key, expected in (
        ("feature_names", FEATURE_NAMES),
        ("confidence_features", CONFIDENCE_FEATURES),
        ("span_feature_names", SPAN_FEATURE_NAMES),
    ):
        if tuple(manifest[key]) != expected:
            raise ValueError(
                f"{folder}: its {key} differ from the code's; collect them again with "
                "`rag train ranker --recollect`"
            )
    entries = json.loads((folder / "questions.json").read_text(encoding="utf-8"))
    features = np.load(folder / "candidate_features.npy")
    labels = np.load(folder / "candidate_labels.npy")
    bounds = np.cumsum([0] + [entry["candidates"] for entry in entries])
    questions = tuple(
        QuestionCandidates(
            question_id=entry["question_id"],
            title=entry["title"],
            answerable=bool(entry["answerable"]),
            features=features[begin:end],
            labels=labels[begin:end],
            doc_ids=tuple(entry["doc_ids"]),
            unseen=float(entry["unseen"]),
            question_words=int(entry["question_words"]),
        )
        for entry, begin, end in zip(entries, bounds[:-1], bounds[1:], strict=True)
    )
    return RankerRecords(
        questions=questions,
        span_features=np.load(folder / "span_features.npy"),
        span_labels=np.load(folder / "span_labels.npy"),
        span_recall=float(manifest["span_recall"]),
        info=dict(manifest["info"]),
    )


def neutral_scorer(names: Sequence[str]) -> Scorer:
    """A scorer giving every row logit 0."""
    size = len(names)
    return Scorer(tuple(names), np.zeros(size), np.ones(size), (np.zeros((size, 1)),), (np.zeros(1),))


def neutral_model() -> QAModel:
    """All-zero scorers: lets ``QA`` build features before anything is fitted."""
    return QAModel(
        neutral_scorer(FEATURE_NAMES),
        neutral_scorer(CONFIDENCE_FEATURES),
        neutral_scorer(SPAN_FEATURE_NAMES),
        0.0,
        {},
    )


def collect_candidates(
    qa: QA, data: SquadSet, questions: Sequence[SquadQuestion], answerable: bool, label: str
) -> list[QuestionCandidates]:
    """Rank every question with ``qa`` and keep its candidates' features and labels."""
    titles = {article.doc_id: article.title for article in data.articles}
    collected = []
    started = time.perf_counter()
    for number, question in enumerate(questions, start=1):
        ranking = qa.rank(question.question)
        references = [answer.text for answer in question.answers]
        labels = np.array([sentence_holds(c.text, references) for c in ranking.candidates], dtype=np.int8)
        collected.append(
            QuestionCandidates(
                question_id=question.question_id,
                title=titles[question.doc_id],
                answerable=answerable,
                features=np.asarray(ranking.features, dtype=np.float64).reshape(-1, len(FEATURE_NAMES)),
                labels=labels,
                doc_ids=tuple(c.article.doc_id for c in ranking.candidates),
                unseen=float(ranking.confidence_inputs[0, CONFIDENCE_FEATURES.index("unseen_weight")]),
                question_words=len(set(ranking.question.stems)),
            )
        )
        if number % PROGRESS_EVERY == 0:
            elapsed = time.perf_counter() - started
            log.info("  %s: %d/%d questions, %.0f s", label, number, len(questions), elapsed)
    return collected


def collect_spans(data: SquadSet, questions: Sequence[SquadQuestion]) -> tuple[np.ndarray, np.ndarray, float]:
    """Span features and exact-match labels over each question's gold sentence; and the share of
    gold sentences where a candidate matched."""
    articles = {article.doc_id: article for article in data.articles}
    sentence_spans: dict[str, list] = {}
    rows, labels = [], []
    covered = 0
    for question in questions:
        article = articles[question.doc_id]
        if question.doc_id not in sentence_spans:
            sentence_spans[question.doc_id] = split_sentences(article.text)
        first = question.answers[0]
        holding = [
            s for s in sentence_spans[question.doc_id] if s.start <= first.start and first.end <= s.end
        ]
        if not holding:
            continue
        sentence = article.text[holding[0].start : holding[0].end]
        analysed = analyze(question.question)
        view = view_sentence(sentence, analysed)
        options = span_candidates(sentence, view, analysed)
        if not options:
            continue
        references = tuple(answer.text for answer in question.answers)
        hits = [exact_match(sentence[o.start : o.end], references) for o in options]
        covered += max(hits) > 0
        rows.append(span_features(sentence, view, analysed, options))
        labels.extend(hits)
    width = len(SPAN_FEATURE_NAMES)
    features = np.concatenate(rows) if rows else np.zeros((0, width))
    return features, np.asarray(labels, dtype=np.float64), covered / max(len(rows), 1)


def collect_ranker_records(
    train: SquadSet,
    questions: Sequence[SquadQuestion],
    embedder: VectorCache,
    info: dict[str, Any],
    shard_titles: int = 0,
) -> RankerRecords:
    """Records of ``questions`` asked of their corpus, of those whose paragraph is in the held-out
    half asked of the other half (unanswerable), and of their gold sentences' spans. The corpus is
    the whole ``train`` file, or with ``shard_titles`` the shard of that many pages holding the
    question (``rag.training.vectors.corpus_shards``)."""
    answerable: list[QuestionCandidates] = []
    unanswerable: list[QuestionCandidates] = []
    shards = corpus_shards(train, shard_titles)
    for number, shard in enumerate(shards, start=1):
        inside = {article.doc_id for article in shard.articles}
        asked = [q for q in questions if q.doc_id in inside]  # in sample order
        label = f"shard {number}/{len(shards)}" if len(shards) > 1 else "whole corpus"
        log.info("%s: %d paragraphs, %d questions", label, len(shard.articles), len(asked))
        qa = QA(in_memory_index(shard.articles, embedder), k=TRAIN_K, model=neutral_model(), reader=None)
        answerable += collect_candidates(qa, shard, asked, True, label)
        indexed, held_out = split_half(shard, SEED)
        kept, held = set(indexed), set(held_out)
        half_index = in_memory_index([a for a in shard.articles if a.doc_id in kept], embedder)
        away = [q for q in asked if q.doc_id in held]
        half = QA(half_index, k=TRAIN_K, model=neutral_model(), reader=None)
        unanswerable += collect_candidates(half, shard, away, False, f"{label}, unanswerable")
    embedder.save()
    span_rows, span_labels, span_recall = collect_spans(train, questions)
    info = {**info, "train_questions": len(questions), "unanswerable_questions": len(unanswerable)}
    info |= {"k": TRAIN_K, **({"shard_titles": shard_titles} if shard_titles else {})}
    return RankerRecords(tuple(answerable + unanswerable), span_rows, span_labels, span_recall, info)
