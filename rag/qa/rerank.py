"""A second look at the best few sentences with a span reader: ``QA(index, reader=...)``.

The sentence ranker (``features`` + ``model``) orders every candidate sentence. With a reader
plugged in, the top ``depth`` sentences are read again, each inside a small window (the
sentence with its neighbours, as context), and re-ordered by a linear combination of the
ranker's logit and what the reader found *inside* that sentence: its best span's margin over
"no answer", and how much of that span just repeats the question. The confidence is re-fitted
the same way. Everything is fitted on SQuAD train by ``rag train reranker`` (``rag.training``) and
shipped as plain numbers in ``rag/qa/reader_rank.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from rag.qa.model import PROBABILITY_FLOOR, sigmoid
from rag.qa.reader import ProposedSpan
from rag.qa.sentences import Candidate
from rag.qa.text import words
from rag.types import Hit, Span

RERANK_PATH = Path(__file__).with_name("reader_rank.json")
RERANK_FORMAT = 1
REFIT_HINT = "refit it with: rag train reranker"

#: Spans the reader proposes per window: enough that the read sentence gets some even when its
#: neighbours hold the reader's favourites (spans outside the sentence are not used).
SPANS_PER_WINDOW = 20
#: Score given to a sentence in which the reader proposes no span (below any real margin).
NO_SPAN_MARGIN = -10.0
#: Prior for the lead of a wire story (``rag.qa.lead``): not fitted (SQuAD has no leads), chosen on
#: the long news probe (benchmarks/README.md) and written into every re-ranker file.
LEAD_BONUS = 2.0
LEAD_CHARS = 250

#: Per-sentence signals combined by the re-ranker (one row per read sentence).
RERANK_FEATURES: tuple[str, ...] = (
    "ranker_logit_gap",  # ranker logit minus the best ranker logit
    "reader_margin",  # best span's (span score - no-answer score), clipped below at NO_SPAN_MARGIN
    "reader_margin_gap",  # that minus the best reader_margin among the read sentences
    "has_span",  # the reader proposed a span inside this sentence
    "span_question_overlap",  # share of the chosen span's content words that the question holds
    "margin_below_window",  # reader_margin minus the best margin anywhere in the sentence's window
)
#: Per-question signals of the re-ranked winner, for the confidence.
CONFIDENCE_INPUTS: tuple[str, ...] = (
    "ranker_confidence_logit",  # logit of the sentence-ranker confidence
    "top_reader_margin",
    "top_has_span",
    "top_ranker_logit_gap",
    "top_rerank_share",  # softmax share of the winner among the read sentences
    "rival_article_share",  # best read sentence of another article: exp(its score - the winner's)
)
_FEATURE = {name: column for column, name in enumerate(RERANK_FEATURES)}


def question_overlap(text: str, question_stems: frozenset[str]) -> float:
    """Share of ``text``'s content words whose stem is in the question (0 for no content word)."""
    content = [word.stem for word in words(text) if not word.is_stopword]
    if not content:
        return 1.0 if text.strip() else 0.0
    return sum(stem in question_stems for stem in content) / len(content)


def sentence_window(candidate: Candidate, number: int) -> Hit:
    """The candidate sentence with its neighbours in the chunk, as a pseudo search hit.

    ``chunk_id`` is ``"sentence:<number>"`` so reader spans can be matched back; offsets are
    article offsets, like a real hit's.
    """
    spans = candidate.chunk.sentences or (candidate.span,)
    position = candidate.index_in_chunk
    first = spans[position - 1] if position > 0 else candidate.span
    last = spans[position + 1] if position + 1 < len(spans) else candidate.span
    start, end = min(first.start, candidate.span.start), max(last.end, candidate.span.end)
    return Hit(
        doc_id=candidate.article.doc_id,
        chunk_id=f"sentence:{number}",
        title=candidate.article.title,
        text=candidate.article.text[start:end],
        start=start,
        end=end,
        score=candidate.hit.score,
        dense_score=candidate.hit.dense_score,
        bm25_score=candidate.hit.bm25_score,
    )


@dataclass(frozen=True)
class ReadSentence:
    """What the reader found inside one read sentence: its best span (or None) and the row's signals.

    ``window_margin`` is the best margin of any span in the sentence's window (neighbours included).
    """

    span: Span | None
    margin: float
    overlap: float
    window_margin: float = NO_SPAN_MARGIN


def spans_within(spans: Sequence[ProposedSpan], doc_id: str, start: int, end: int) -> list[ProposedSpan]:
    """The spans of article ``doc_id`` that lie wholly inside ``[start, end)``."""
    return [span for span in spans if span.doc_id == doc_id and start <= span.start < span.end <= end]


def best_inside(
    candidate: Candidate,
    spans: Sequence[ProposedSpan],
    question_stems: frozenset[str],
    overlap_penalty: float,
    window: Hit | None = None,
) -> ReadSentence:
    """The reader's best span inside ``candidate``'s sentence, preferring spans that do not repeat
    the question (score ``margin - overlap_penalty * overlap``); ``window`` (the sentence's
    :func:`sentence_window`) gives ``window_margin``."""
    best: ReadSentence | None = None
    best_value = -math.inf
    text = candidate.article.text
    doc_id = candidate.article.doc_id
    in_window = spans_within(spans, doc_id, window.start, window.end) if window is not None else []
    window_margin = max((float(span.score) for span in in_window), default=NO_SPAN_MARGIN)
    for span in spans_within(spans, doc_id, candidate.span.start, candidate.span.end):
        overlap = question_overlap(text[span.start : span.end], question_stems)
        value = span.score - overlap_penalty * overlap
        if value > best_value:
            best_value = value
            best = ReadSentence(Span(span.start, span.end), max(float(span.score), NO_SPAN_MARGIN), overlap)
    if best is None:
        return ReadSentence(None, NO_SPAN_MARGIN, 0.0, window_margin)
    return replace(best, window_margin=max(window_margin, best.margin))


def rerank_rows(ranker_logits: np.ndarray, read: Sequence[ReadSentence]) -> np.ndarray:
    """Rows of :data:`RERANK_FEATURES` for the read sentences (``ranker_logits`` in the same order)."""
    rows = np.zeros((len(read), len(RERANK_FEATURES)), dtype=np.float64)
    if not read:
        return rows
    margins = np.array([item.margin for item in read])
    rows[:, _FEATURE["ranker_logit_gap"]] = ranker_logits - ranker_logits.max()
    rows[:, _FEATURE["reader_margin"]] = margins
    rows[:, _FEATURE["reader_margin_gap"]] = margins - margins.max()
    rows[:, _FEATURE["has_span"]] = [item.span is not None for item in read]
    rows[:, _FEATURE["span_question_overlap"]] = [item.overlap for item in read]
    rows[:, _FEATURE["margin_below_window"]] = [item.margin - item.window_margin for item in read]
    return rows


def confidence_row(
    ranker_confidence: float, rows: np.ndarray, scores: np.ndarray, articles: Sequence[str]
) -> np.ndarray:
    """One row of :data:`CONFIDENCE_INPUTS` for the winner of ``scores`` (rows as ``rerank_rows``;
    ``articles``: each read sentence's article id).

    ``rival_article_share`` is how close the best read sentence of *another* article comes to the
    winner (0 when every read sentence is in the winner's article): a vague question ("How many
    people died?") asked of many news articles finds a plausible answer in several of them.
    """
    probability = min(max(ranker_confidence, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR)
    top = int(np.argmax(scores))
    shares = np.exp(scores - scores[top])
    rivals = [share for share, article in zip(shares, articles, strict=True) if article != articles[top]]
    inputs = {
        "ranker_confidence_logit": math.log(probability / (1 - probability)),
        "top_reader_margin": rows[top, _FEATURE["reader_margin"]],
        "top_has_span": rows[top, _FEATURE["has_span"]],
        "top_ranker_logit_gap": rows[top, _FEATURE["ranker_logit_gap"]],
        "top_rerank_share": 1.0 / shares.sum(),
        "rival_article_share": max(rivals, default=0.0),
    }
    return np.array([inputs[name] for name in CONFIDENCE_INPUTS])


def read_count(best_logits: np.ndarray, depth: int, max_logit_gap: float) -> int:
    """How many of the ranker's best sentences the reader reads: of the first ``depth`` (their
    logits ``best_logits``, best first), those within ``max_logit_gap`` of the best, at least one."""
    best_logits = best_logits[:depth]
    if not len(best_logits):
        return 0
    return max(1, int(np.sum(best_logits >= best_logits[0] - max_logit_gap)))


@dataclass(frozen=True)
class RerankModel:
    """Fitted numbers of the re-ranker.

    Attributes:
        depth: at most this many sentences are read per question (the ranker's best ``depth``).
        max_logit_gap: of those, only the ones whose ranker logit is within this of the best one's
            are read (the re-ranker could not lift the others; ``inf``: read all ``depth``).
        overlap_penalty: how much a span's question-word share costs when picking the span.
        weights: one weight per :data:`RERANK_FEATURES` (a sentence's score is ``weights · row``).
        confidence_weights, confidence_bias: logistic model over :data:`CONFIDENCE_INPUTS`.
        min_score: confidence below which the answerer abstains when this re-ranker is used.
        info: how it was fitted (free-form, for humans).
        lead_bonus, lead_chars: added to the score of a read sentence starting within the first
            ``lead_chars`` characters of a wire story's body (``rag.qa.lead``; 0: no prior).
    """

    depth: int
    overlap_penalty: float
    weights: np.ndarray
    confidence_weights: np.ndarray
    confidence_bias: float
    min_score: float
    info: dict[str, Any]
    max_logit_gap: float = math.inf
    lead_bonus: float = 0.0
    lead_chars: int = 0

    def read_count(self, best_logits: np.ndarray) -> int:
        """How many of the ranker's best sentences to read (``best_logits``: theirs, best first)."""
        return read_count(best_logits, self.depth, self.max_logit_gap)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return rows @ self.weights

    def confidence(self, inputs: np.ndarray) -> float:
        return float(sigmoid(float(inputs @ self.confidence_weights + self.confidence_bias)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": RERANK_FORMAT,
            "depth": self.depth,
            "max_logit_gap": None if math.isinf(self.max_logit_gap) else self.max_logit_gap,
            "overlap_penalty": self.overlap_penalty,
            "features": list(RERANK_FEATURES),
            "weights": [round(float(value), 6) for value in self.weights],
            "confidence_inputs": list(CONFIDENCE_INPUTS),
            "confidence_weights": [round(float(value), 6) for value in self.confidence_weights],
            "confidence_bias": round(self.confidence_bias, 6),
            "min_score": self.min_score,
            "lead_bonus": self.lead_bonus,
            "lead_chars": self.lead_chars,
            "info": self.info,
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")


def read_rerank_model(path: str | Path) -> RerankModel:
    """Read a re-ranker file.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a re-ranker of this format and feature list.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"reader re-ranker file not found: {path}; {REFIT_HINT}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != RERANK_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, this code reads {RERANK_FORMAT}")
        if (
            tuple(data["features"]) != RERANK_FEATURES
            or tuple(data["confidence_inputs"]) != CONFIDENCE_INPUTS
        ):
            raise ValueError("its feature names differ from this code's")
        model = RerankModel(
            depth=int(data["depth"]),
            max_logit_gap=math.inf if data.get("max_logit_gap") is None else float(data["max_logit_gap"]),
            overlap_penalty=float(data["overlap_penalty"]),
            weights=np.asarray(data["weights"], dtype=np.float64),
            confidence_weights=np.asarray(data["confidence_weights"], dtype=np.float64),
            confidence_bias=float(data["confidence_bias"]),
            min_score=float(data["min_score"]),
            info=dict(data.get("info", {})),
            lead_bonus=float(data.get("lead_bonus", 0.0)),
            lead_chars=int(data.get("lead_chars", 0)),
        )
        if model.depth < 1 or not model.max_logit_gap >= 0 or model.weights.shape != (len(RERANK_FEATURES),):
            raise ValueError("depth or weights out of shape")
        if model.confidence_weights.shape != (len(CONFIDENCE_INPUTS),):
            raise ValueError("confidence weights out of shape")
        if model.lead_bonus < 0 or model.lead_chars < 0:
            raise ValueError("lead_bonus and lead_chars must be >= 0")
        return model
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} is not a usable reader re-ranker ({error}); {REFIT_HINT}") from error


@lru_cache(maxsize=4)
def shipped_rerank_model(path: str = str(RERANK_PATH)) -> RerankModel:
    """The re-ranker shipped with the package (read once per process)."""
    return read_rerank_model(path)
