"""Question in, verbatim answer with citations out: ``rag.ask`` and ``rag.QA``.

One straight line per question: check it, resolve a follow-up against the history, search
the hybrid index, rank the sentences of the top passages (``features`` + ``model``), score
confidence (``calibration``), pick the answer span in the best sentence (``spans`` or a
plugged-in ``reader``), cite it (``citations``).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from rag.config import default_index_dir, seeds_dir
from rag.index import Index, IndexNotFoundError, build_index, load_index
from rag.index.core import MAX_K
from rag.ingest.clean import scrub
from rag.qa import followup
from rag.qa.calibration import CONFIDENCE_FEATURES, confidence_features
from rag.qa.citations import cite, find_in_sentence
from rag.qa.features import FEATURE_NAMES, SentenceView, sentence_features, view_sentence
from rag.qa.model import QAModel, shipped_model, sigmoid
from rag.qa.questions import Question, analyze, problem_with
from rag.qa.reader import Reader, ReaderSpan
from rag.qa.sentences import Candidate, ChunkLookup, candidate_sentences
from rag.qa.spans import SPAN_FEATURE_NAMES, span_candidates, span_features
from rag.qa.text import words
from rag.qa.vectors import SentenceVectors
from rag.qa.weights import TermWeights
from rag.types import Answer, Citation, Hit, Span

DEFAULT_K = 5
#: Other distinct answers returned with each answer, at most.
DEFAULT_MAX_ALTERNATIVES = 3
#: Extra citations of other sentences that hold the same answer text, at most.
MAX_SUPPORTING_CITATIONS = 2
#: Ranked sentences searched for supporting citations.
SUPPORT_DEPTH = 8
#: ``QA.warm`` embeds a whole corpus only up to this many sentences (about 5 ms each).
WARM_MAX_SENTENCES = 5_000

NOT_FOUND_MESSAGE = (
    "The articles do not seem to answer this (best candidate scored {score:.2f}, "
    "below the threshold {threshold:.2f})."
)
EMPTY_INDEX_MESSAGE = "The index holds no articles yet: add some with `rag index PATH`."


@dataclass(frozen=True)
class Ranking:
    """Every candidate sentence of one question, with features and scores (for inspection).

    Attributes:
        question: the analysed (follow-up resolved) question.
        hits: the retrieved passages, best first.
        candidates, views: candidate sentences, in passage order.
        features: the sentence feature matrix (``rag.qa.features.FEATURE_NAMES`` columns).
        logits: the ranker's logit per candidate.
        order: candidate indices, best first.
        confidence: calibrated probability that the best candidate holds the answer.
    """

    question: Question
    hits: tuple[Hit, ...]
    candidates: tuple[Candidate, ...]
    views: tuple[SentenceView, ...]
    features: np.ndarray
    logits: np.ndarray
    order: np.ndarray
    confidence_inputs: np.ndarray
    confidence: float


class QA:
    """Answers questions from one index with fixed settings; reuse it (it caches sentence vectors).

    Arguments:
        index: the index to answer from (``None``: :func:`default_index`).
        k: passages retrieved per question (overridable per call).
        min_score: confidence below which the answer is "not found" (``None``: the
            threshold shipped with the model).
        reader: optional span reader (see ``rag.qa.reader``).
        model: fitted scorers (``None``: the shipped ``rag/qa/model.json``).
        max_alternatives: other distinct answers to return.

    Raises:
        ValueError: ``k``, ``min_score`` or ``max_alternatives`` is out of range.
        TypeError: ``index`` is not a :class:`rag.Index` or ``reader`` lacks ``read``.

    Example:
        >>> qa = QA(rag.load_index("indexes/default"), k=5)  # doctest: +SKIP
        >>> qa.ask("When is China's National Day?").text  # doctest: +SKIP
        'October 1'
    """

    def __init__(
        self,
        index: Index | None = None,
        k: int = DEFAULT_K,
        min_score: float | None = None,
        reader: Reader | None = None,
        model: QAModel | None = None,
        max_alternatives: int = DEFAULT_MAX_ALTERNATIVES,
    ) -> None:
        if index is not None and not isinstance(index, Index):
            raise TypeError(f"index must be a rag.Index (from rag.load_index), got {type(index).__name__}")
        check_k(k)
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {min_score}")
        if max_alternatives < 0:
            raise ValueError(f"max_alternatives must be >= 0, got {max_alternatives}")
        if reader is not None and not callable(getattr(reader, "read", None)):
            raise TypeError(
                f"reader must have a read(question, passages) method, got {type(reader).__name__}"
            )
        self.index = index if index is not None else default_index()
        self.k = k
        self.reader = reader
        self.model = model if model is not None else shipped_model()
        self.model.check(FEATURE_NAMES, CONFIDENCE_FEATURES, SPAN_FEATURE_NAMES)
        self.min_score = self.model.min_score if min_score is None else min_score
        self.max_alternatives = max_alternatives
        self._weights = TermWeights(self.index)
        self._chunks = ChunkLookup(self.index)
        self._vectors: SentenceVectors | None = None
        self._lock = threading.Lock()

    @property
    def sentence_vectors(self) -> SentenceVectors:
        if self._vectors is None:
            self._vectors = SentenceVectors(self.index.embedder)
        return self._vectors

    def warm(self, max_sentences: int = WARM_MAX_SENTENCES) -> int:
        """Embed every sentence of the index now when there are at most ``max_sentences``
        (a server over a small corpus then answers its first questions at warm-cache speed).

        Returns the number of sentences embedded (0 when the index is larger than that).
        """
        texts = list(
            dict.fromkeys(
                self.index.article(chunk.doc_id).text[span.start : span.end]
                for chunk in list(self.index.chunks)
                for span in chunk.sentences
            )
        )
        if not texts or len(texts) > max_sentences:
            return 0
        self.sentence_vectors.encode(texts)
        return len(texts)

    # -- answering -------------------------------------------------------------------------

    def ask(self, question: str, history: Sequence[Any] | None = None, k: int | None = None) -> Answer:
        """Answer ``question`` from the index.

        Arguments:
            question: the question, in English.
            history: earlier turns of a chat (see ``rag.qa.followup`` for accepted forms);
                a follow-up such as "What did he say?" borrows the last turn's names.
            k: passages to retrieve (default: the ``k`` given to the constructor).

        Returns:
            An :class:`rag.Answer`; ``found`` is False with a ``message`` for an unusable
            question, an empty index, or when the best answer scores below ``min_score``.

        Raises:
            TypeError: ``question`` is not a string or ``history`` is not in an accepted form.
            ValueError: ``k`` is out of range.
        """
        problem = problem_with(question)
        question = scrub(question)  # lone surrogates (from JSON escapes) break the tokenizer and JSON replies
        turns = followup.read_history(history)
        if k is not None:
            check_k(k)
        if problem:
            return _not_found(question, problem)
        ranking = self.rank(question, turns, k)
        if not ranking.candidates:
            return _not_found(question, EMPTY_INDEX_MESSAGE)
        reader_spans = self._read(ranking)
        answers = self._answers(question, ranking, reader_spans)
        best = answers[0]
        if ranking.confidence < self.min_score:
            message = NOT_FOUND_MESSAGE.format(score=ranking.confidence, threshold=self.min_score)
            closest = tuple(replace(answer, found=False) for answer in answers)
            return Answer(
                question=question,
                found=False,
                text="",
                sentence="",
                score=ranking.confidence,
                alternatives=closest,
                message=message,
            )
        return Answer(
            question=question,
            found=True,
            text=best.text,
            sentence=best.sentence,
            score=best.score,
            citations=best.citations,
            alternatives=tuple(answers[1:]),
        )

    def rank(self, question: str, history: Sequence[followup.Turn] = (), k: int | None = None) -> Ranking:
        """Retrieve passages for ``question`` and score their sentences (no span picking)."""
        resolved = followup.resolve(question, history)
        analysed = analyze(resolved, kind_from=question)
        with self.index._lock:  # an add/remove in another thread must not land between search and lookup
            hits = tuple(self.index.search(resolved, k=k or self.k))
            candidates, views, features, unseen = self.featurize(analysed, hits)
        logits = self.model.sentences.logits(features) if len(candidates) else np.zeros(0)
        order = np.argsort(-logits, kind="stable")
        inputs = confidence_features(
            features, logits, [c.article.doc_id for c in candidates], unseen, len(set(analysed.stems))
        )
        confidence = float(sigmoid(self.model.confidence.logits(inputs))[0])
        return Ranking(
            analysed, hits, tuple(candidates), tuple(views), features, logits, order, inputs, confidence
        )

    def featurize(
        self, question: Question, hits: Sequence[Hit]
    ) -> tuple[list[Candidate], list[SentenceView], np.ndarray, float]:
        """Candidate sentences of ``hits`` with their feature matrix, and the question's unseen-word share."""
        with self._lock:
            candidates = candidate_sentences(self.index, hits, self._chunks)
            stems = list(dict.fromkeys(question.stems))
            frequencies = {word: self._weights.frequency(word) for word in stems}
            weights = {word: self._weights.idf(word) for word in stems}
        total = sum(weights.values())
        unseen = sum(weights[word] for word in stems if frequencies[word] == 0) / total if total else 0.0
        views = [view_sentence(candidate.text, question) for candidate in candidates]
        if candidates:
            vectors = self.sentence_vectors.encode([candidate.text for candidate in candidates])
            cosines = vectors @ self.index.embedder.encode_query(question.text)
        else:
            cosines = np.zeros(0)
        features = sentence_features(
            question, candidates, views, cosines.astype(np.float64), weights.__getitem__
        )
        return candidates, views, features, unseen

    # -- building answers ------------------------------------------------------------------

    def _read(self, ranking: Ranking) -> Sequence[ReaderSpan]:
        if self.reader is None:
            return ()
        return self.reader.read(ranking.question.text, list(ranking.hits))

    def _answers(self, question: str, ranking: Ranking, reader_spans: Sequence[ReaderSpan]) -> list[Answer]:
        """The best answer, then up to ``max_alternatives`` distinct others, best first."""
        shares = np.exp(ranking.logits - ranking.logits[ranking.order[0]])
        answers: list[Answer] = []
        seen_texts: set[str] = set()
        for position in ranking.order:
            if len(answers) > self.max_alternatives:
                break
            candidate = ranking.candidates[position]
            span = self._span(ranking.question, candidate, ranking.views[position], reader_spans)
            text = candidate.article.text[span.start : span.end]
            key = " ".join(text.lower().split())
            if key in seen_texts:
                continue
            seen_texts.add(key)
            citations = [cite(candidate, span)]
            if not answers:
                citations += self._supporting(ranking, position, text)
            answers.append(
                Answer(
                    question=question,
                    found=True,
                    text=text,
                    sentence=candidate.text,
                    score=ranking.confidence * float(shares[position]),
                    citations=tuple(citations),
                )
            )
        return answers

    def _span(
        self, question: Question, candidate: Candidate, view: SentenceView, reader_spans: Sequence[ReaderSpan]
    ) -> Span:
        """Article offsets of the answer inside ``candidate``'s sentence."""
        inside = [
            span
            for span in reader_spans
            if span.doc_id == candidate.article.doc_id
            and candidate.span.start <= span.start < span.end <= candidate.span.end
        ]
        if inside:
            best = max(inside, key=lambda span: span.score)
            return Span(best.start, best.end)
        options = span_candidates(candidate.text, view, question)
        if not options:
            return candidate.span
        scores = self.model.spans.logits(span_features(candidate.text, view, question, options))
        best_option = options[int(np.argmax(scores))]
        return Span(candidate.span.start + best_option.start, candidate.span.start + best_option.end)

    def _supporting(self, ranking: Ranking, chosen: int, text: str) -> list[Citation]:
        """Citations of other top sentences (other articles first) that hold the same answer text."""
        if len(words(text)) == 0:
            return []
        found: list[Citation] = []
        quotes = {ranking.candidates[chosen].text}
        for position in ranking.order[1:SUPPORT_DEPTH]:
            candidate = ranking.candidates[position]
            span = find_in_sentence(candidate, text)
            if span is not None and candidate.text not in quotes:
                quotes.add(candidate.text)
                found.append(cite(candidate, span))
            if len(found) >= MAX_SUPPORTING_CITATIONS:
                break
        return found


def check_k(k: object) -> None:
    """Raise ValueError unless ``k`` is an int from 1 to ``MAX_K``."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ValueError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")


def _not_found(question: str, message: str) -> Answer:
    return Answer(question=question, found=False, text="", sentence="", score=0.0, message=message)


# -- the default index and rag.ask ---------------------------------------------------------

_defaults: dict[Path, Index] = {}
_default_lock = threading.Lock()
_answerers: weakref.WeakKeyDictionary[Index, QA] = weakref.WeakKeyDictionary()
_answerers_lock = threading.Lock()


def default_index(index_dir: str | Path | None = None) -> Index:
    """The index at ``index_dir`` (default: ``rag.config.default_index_dir()``), loaded once
    per process; built from ``seeds/`` when there is none yet."""
    path = Path(index_dir) if index_dir else default_index_dir()
    with _default_lock:
        if path not in _defaults:
            try:
                _defaults[path] = load_index(path)
            except IndexNotFoundError:
                _defaults[path] = build_index([seeds_dir()], path)
        return _defaults[path]


def answerer_for(index: Index | None = None) -> QA:
    """The shared :class:`QA` of ``index`` (its sentence-vector cache lives as long as the index)."""
    index = index if index is not None else default_index()
    with _answerers_lock:
        qa = _answerers.get(index)
        if qa is None:
            qa = QA(index)
            _answerers[index] = qa
        return qa


def ask(
    question: str, index: Index | None = None, k: int = DEFAULT_K, history: Sequence[Any] | None = None
) -> Answer:
    """Answer ``question`` from ``index`` (default: :func:`default_index`).

    See :meth:`QA.ask` for ``history`` and the returned :class:`rag.Answer`.

    Example:
        >>> answer = ask("Who did Wang Yi meet in Pyongyang?")  # doctest: +SKIP
        >>> answer.text, answer.citations[0].title  # doctest: +SKIP
    """
    if index is not None and not isinstance(index, Index):
        raise TypeError(f"index must be a rag.Index (from rag.load_index), got {type(index).__name__}")
    return answerer_for(index).ask(question, history=history, k=k)
