"""The reader re-ranker's training records: for each sampled train question, the sentence ranker's
best sentences with their logits and labels, and every span the span reader proposed in each.

Collecting them runs the shipped sentence ranker and span reader (whole train corpus indexed;
then half of it, for unanswerable questions); ``rag.training.rerank_fit`` fits from them alone,
so the same records always give the same ``reader_rank.json``. A records folder holds
``manifest.json`` (format, how they were collected) and ``records.json`` (``{"answerable":
[...], "unanswerable": [...]}``, one object per question).
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rag.eval.answers import split_half
from rag.eval.scoring import exact_match, f1_score
from rag.eval.scoring import sentence_holds_strict as sentence_holds  # the shipped fits' labels
from rag.eval.squad import SquadQuestion, SquadSet
from rag.index.filters import Filter
from rag.qa.answerer import QA
from rag.qa.rerank import NO_SPAN_MARGIN, question_overlap, sentence_window, spans_within
from rag.reader import HitReader

log = logging.getLogger(__name__)

RECORDS_FORMAT = 3  # 3: each read sentence names its article (``doc``)
RECORDS_KIND = "reranker"
#: Seed of the answerable and unanswerable samples and of the indexed/held-out halves.
SEED = 1
#: Distinct spans kept per read sentence, best margin first.
SPANS_PER_SENTENCE = 5
#: Questions between two progress lines.
PROGRESS_EVERY = 250


@dataclass(frozen=True)
class SpanRecord:
    """A span the reader proposed inside a read sentence (article offsets) and how it scores."""

    start: int
    end: int
    margin: float
    overlap: float
    em: float
    f1: float


@dataclass(frozen=True)
class SentenceRecord:
    """One read sentence: ranker logit, whether it holds a reference, the best margin anywhere in
    its window, its distinct spans (best margin first) and its article's id."""

    logit: float
    right: bool
    window_margin: float
    spans: tuple[SpanRecord, ...]
    doc: str


@dataclass(frozen=True)
class QuestionRecord:
    """One question: the ranker's confidence and its best sentences, in ranker order."""

    question_id: str
    confidence: float
    sentences: tuple[SentenceRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.question_id,
            "confidence": self.confidence,
            "sentences": [
                {
                    "logit": s.logit,
                    "right": s.right,
                    "window_margin": s.window_margin,
                    "spans": [asdict(span) for span in s.spans],
                    "doc": s.doc,
                }
                for s in self.sentences
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuestionRecord:
        return cls(
            question_id=str(data["id"]),
            confidence=float(data["confidence"]),
            sentences=tuple(
                SentenceRecord(
                    logit=float(s["logit"]),
                    right=bool(s["right"]),
                    window_margin=float(s["window_margin"]),
                    spans=tuple(SpanRecord(**span) for span in s["spans"]),
                    doc=str(s["doc"]),
                )
                for s in data["sentences"]
            ),
        )


@dataclass(frozen=True)
class RerankRecords:
    """Records of answerable questions (whole corpus) and unanswerable ones (other half indexed).

    ``info`` says how they were collected (train file, depth, sample sizes).
    """

    answerable: tuple[QuestionRecord, ...]
    unanswerable: tuple[QuestionRecord, ...]
    info: dict[str, Any] = field(default_factory=dict)

    def save(self, folder: Path) -> Path:
        """Write the records into ``folder`` (replaced whole, never left half-written)."""
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        manifest = {"format": RECORDS_FORMAT, "kind": RECORDS_KIND, "info": self.info}
        records = {
            "answerable": [record.to_dict() for record in self.answerable],
            "unanswerable": [record.to_dict() for record in self.unanswerable],
        }
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        (partial / "records.json").write_text(json.dumps(records) + "\n", encoding="utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        partial.replace(folder)
        return folder


def read_rerank_records(folder: Path) -> RerankRecords:
    """Records written by :meth:`RerankRecords.save`.

    Raises:
        FileNotFoundError: ``folder`` has no ``manifest.json``.
        ValueError: another format or kind of records.
    """
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        raise FileNotFoundError(f"no re-ranker records in {folder} (missing manifest.json)")
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    if manifest.get("format") != RECORDS_FORMAT or manifest.get("kind") != RECORDS_KIND:
        raise ValueError(
            f"{folder} holds {manifest.get('kind')!r} records of format {manifest.get('format')!r}, "
            f"expected {RECORDS_KIND!r} format {RECORDS_FORMAT}"
        )
    records = json.loads((folder / "records.json").read_text(encoding="utf-8"))
    return RerankRecords(
        answerable=tuple(QuestionRecord.from_dict(item) for item in records["answerable"]),
        unanswerable=tuple(QuestionRecord.from_dict(item) for item in records["unanswerable"]),
        info=dict(manifest["info"]),
    )


def fit_questions(
    train: SquadSet, answerable: int, unanswerable: int
) -> tuple[list[SquadQuestion], list[str], list[SquadQuestion]]:
    """The fit's sample (fixed seed): ``answerable`` questions asked of the whole corpus, the
    paragraph ids of the indexed half, and ``unanswerable`` questions of the other half."""
    rng = random.Random(SEED)
    chosen = rng.sample(list(train.questions), answerable)
    indexed, held = split_half(train, SEED)
    held_set = set(held)
    away = rng.sample([q for q in train.questions if q.doc_id in held_set], unanswerable)
    return chosen, indexed, away


def collect(
    qa: QA,
    reader: HitReader,
    questions: Sequence[SquadQuestion],
    label: str,
    depth: int,
    closed: bool = False,
) -> list[QuestionRecord]:
    """One record per question: its top ``depth`` sentences with ranker logit, label and reader spans
    (``closed``: each question searches only its own document, as ``rag eval answers --setting
    closed``)."""
    records = []
    started = time.perf_counter()
    for number, question in enumerate(questions, start=1):
        filters = Filter(doc_ids=(question.doc_id,)) if closed else None
        ranking = qa.rank(question.question, filters=filters)
        references = tuple(answer.text for answer in question.answers)
        positions = [int(p) for p in ranking.order[:depth]]
        windows = [sentence_window(ranking.candidates[p], n) for n, p in enumerate(positions)]
        spans = reader.read(ranking.question.text, windows) if windows else []
        stems = frozenset(ranking.question.stems)
        sentences = []
        for position, window in zip(positions, windows, strict=True):
            candidate = ranking.candidates[position]
            inside = []
            in_window = [span.score for span in spans_within(spans, window.doc_id, window.start, window.end)]
            doc_id, sentence = candidate.article.doc_id, candidate.span
            for span in spans_within(spans, doc_id, sentence.start, sentence.end):
                text = candidate.article.text[span.start : span.end]
                inside.append(
                    SpanRecord(
                        start=span.start,
                        end=span.end,
                        margin=span.score,
                        overlap=question_overlap(text, stems),
                        em=exact_match(text, references),
                        f1=f1_score(text, references),
                    )
                )
            # keep distinct spans (overlapping windows read a sentence twice), best first
            distinct = {(item.start, item.end): item for item in sorted(inside, key=lambda i: i.margin)}
            best_first = sorted(distinct.values(), key=lambda i: -i.margin)
            sentences.append(
                SentenceRecord(
                    logit=float(ranking.logits[position]),
                    right=bool(sentence_holds(candidate.text, references)),
                    window_margin=max(in_window, default=NO_SPAN_MARGIN),
                    spans=tuple(best_first[:SPANS_PER_SENTENCE]),
                    doc=doc_id,
                )
            )
        records.append(QuestionRecord(question.question_id, ranking.confidence, tuple(sentences)))
        if number % PROGRESS_EVERY == 0:
            elapsed = time.perf_counter() - started
            log.info("  %s: %d/%d, %.0f s", label, number, len(questions), elapsed)
    return records
