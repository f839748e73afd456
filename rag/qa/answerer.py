"""Question in, verbatim answer with citations out: ``rag.ask`` and ``rag.QA``.

A question's whole trip is :meth:`QA.ask`, read top to bottom; each step and the file doing it:

1. check the question: ``questions.problem_with`` (empty, no words, too long);
2. read the chat history and resolve a follow-up ("What did he say?"): ``followup``;
3. retrieve the top ``k`` passages that pass the filters: ``rag.index`` (``Index.search``);
4. list their sentences: ``sentences.candidate_sentences``;
5. describe each sentence against the question: ``features`` (with ``weights`` for term
   weights and ``text``/``phrases`` for words and typed phrases);
6. rank the sentences and score the confidence: ``model`` (the fitted ranker) and
   ``calibration`` (its confidence inputs), in :meth:`QA.rank`;
7. with a reader, re-read the best few sentences and re-rank them by the spans it finds:
   ``reader`` (the plug), ``rag.reader`` (the shipped one) and ``rerank``, in :meth:`QA.reread`
   (an age is no count: ``ages``); "What did X say?" takes the reported clause (``statements``),
   "Who is X's foreign minister?" the person so titled (``roles``), a passive question the active
   verb's object (``voice``), an amount the words that bound it, "at least 38" (``amounts``),
   and a wire story's lead gets a prior (``lead``);
8. pick the answer span in each sentence and cite it: ``compose`` (with ``spans`` when no
   reader span exists, and ``citations`` for offsets into the article);
9. answer, or say "not found" below ``min_score``; note when several stories could be meant
   (``ambiguity``). (``defaults`` loads the default index and reader.)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from rag.index import Filter, SearchIndex
from rag.index.base import DEFAULT_K
from rag.ingest.clean import scrub
from rag.qa import followup
from rag.qa.ages import without_ages
from rag.qa.ambiguity import ambiguity_note
from rag.qa.calibration import CONFIDENCE_FEATURES, confidence_features
from rag.qa.compose import Ranking, compose_answers, with_rule_answers, with_statement_spans
from rag.qa.conflicts import conflicting
from rag.qa.defaults import READER_ENV, SHIPPED_READER, default_index, shipped_reader
from rag.qa.features import FEATURE_NAMES, SentenceView, sentence_features, view_sentence
from rag.qa.lead import lead_prior, outside_datelines
from rag.qa.model import QAModel, shipped_model, sigmoid
from rag.qa.questions import Question, analyze, check_k, problem_with
from rag.qa.reader import Reader
from rag.qa.rerank import (
    RerankModel,
    best_inside,
    confidence_row,
    rerank_rows,
    sentence_window,
    shipped_rerank_model,
)
from rag.qa.sentences import Candidate, ChunkLookup, candidate_sentences
from rag.qa.spans import SPAN_FEATURE_NAMES
from rag.qa.timeline import build_timeline
from rag.qa.weights import TermWeights
from rag.types import Answer, Hit

__all__ = ["QA", "READER_ENV", "SHIPPED_READER", "Ranking", "check_k", "default_index"]

#: Other distinct answers returned with each answer, at most.
DEFAULT_MAX_ALTERNATIVES = 3

NOT_FOUND_MESSAGE = (
    "The articles do not seem to answer this (best candidate scored {score:.2f}, "
    "below the threshold {threshold:.2f})."
)
EMPTY_INDEX_MESSAGE = "The index holds no articles yet: add some with `rag index PATH`."


class QA:
    """Answers questions from one index with fixed settings (sentence vectors come from the index).

    Arguments:
        index: the index to answer from (``None``: :func:`default_index`).
        k: passages retrieved per question (overridable per call).
        min_score: confidence below which the answer is "not found" (``None``: the
            threshold shipped with the model).
        reader: span reader (see ``rag.qa.reader``) that re-ranks the best sentences and picks the
            answer span in them (``rag.qa.rerank``): ``"shipped"`` (default) is the trained one in
            ``rag/reader/model`` unless ``RAG_READER=off``; ``None`` answers at sentence level only.
        model: fitted scorers (``None``: the shipped ``rag/qa/model.json``).
        rerank: fitted re-ranker used with a reader (``None``: the shipped ``rag/qa/reader_rank.json``).
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
        index: SearchIndex | None = None,
        k: int = DEFAULT_K,
        min_score: float | None = None,
        reader: Reader | Literal["shipped"] | None = SHIPPED_READER,
        model: QAModel | None = None,
        max_alternatives: int = DEFAULT_MAX_ALTERNATIVES,
        rerank: RerankModel | None = None,
    ) -> None:
        if index is not None and not isinstance(index, SearchIndex):
            raise TypeError(f"index must be a rag.Index (from rag.load_index), got {type(index).__name__}")
        check_k(k)
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise ValueError(f"min_score must be between 0 and 1, got {min_score}")
        if max_alternatives < 0:
            raise ValueError(f"max_alternatives must be >= 0, got {max_alternatives}")
        chosen: Reader | None
        if isinstance(reader, str):
            if reader != SHIPPED_READER:
                raise ValueError(f"reader must be {SHIPPED_READER!r}, None or a Reader, got {reader!r}")
            chosen = shipped_reader()
        else:
            chosen = reader
        if chosen is not None and not callable(getattr(chosen, "read", None)):
            raise TypeError(
                f"reader must have a read(question, passages) method, got {type(chosen).__name__}"
            )
        self.index = index if index is not None else default_index()
        self.k = k
        self.reader = chosen
        self.model = model if model is not None else shipped_model()
        self.model.check(FEATURE_NAMES, CONFIDENCE_FEATURES, SPAN_FEATURE_NAMES)
        self.rerank = None if chosen is None else rerank if rerank is not None else shipped_rerank_model()
        default_min_score = self.rerank.min_score if self.rerank is not None else self.model.min_score
        self.min_score = default_min_score if min_score is None else min_score
        self.max_alternatives = max_alternatives
        self._weights = TermWeights(self.index)
        self._chunks = ChunkLookup(self.index)
        self._lock = threading.Lock()

    # -- answering -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        k: int | None = None,
        filters: Filter | None = None,
    ) -> Answer:
        """Answer ``question`` from the index.

        Arguments:
            question: the question, in English.
            history: earlier turns of a chat (see ``rag.qa.followup`` for accepted forms);
                a follow-up such as "What did he say?" borrows the last turn's names.
            k: passages to retrieve (default: the ``k`` given to the constructor).
            filters: answer only from the articles that pass (``rag.Filter``: sources, kinds,
                publication dates, ids); the ``k`` passages all pass it.

        Returns:
            An :class:`rag.Answer`; ``found`` is False with a ``message`` for an unusable
            question, an empty index, or when the best answer scores below ``min_score``.

        Raises:
            TypeError: ``question`` is not a string or ``history`` is not in an accepted form.
            ValueError: ``k`` is out of range, or ``filters`` names a source no article has.
        """
        if filters is not None and not isinstance(filters, Filter):
            raise TypeError(f"filters must be a rag.Filter, got {type(filters).__name__}")
        problem = problem_with(question)
        question = scrub(question)  # lone surrogates (from JSON escapes) break the tokenizer and JSON replies
        turns = followup.read_history(history)
        if k is not None:
            check_k(k)
        if problem:
            return _not_found(question, problem)
        ranking = self.rank(question, turns, k, filters)
        if not ranking.candidates:
            return _not_found(question, EMPTY_INDEX_MESSAGE)
        if self.reader is not None:
            ranked = ranking
            ranking = self.reread(ranking)
            if ranking.question.statement:
                ranking = replace(ranking, confidence=max(ranking.confidence, ranked.confidence))
        if ranking.question.statement:
            ranking = with_statement_spans(ranking)
        ranking = with_rule_answers(ranking)
        answers = compose_answers(question, ranking, self.model.spans, self.max_alternatives)
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
        timeline = build_timeline(ranking, self.model.spans)
        conflicts = conflicting(best, answers[1:])
        note = "" if filters is not None else ambiguity_note(self.index, ranking.question.text, best)
        return replace(
            best, alternatives=tuple(answers[1:]), timeline=timeline, conflicts=conflicts, message=note
        )

    def rank(
        self,
        question: str,
        history: Sequence[followup.Turn] = (),
        k: int | None = None,
        filters: Filter | None = None,
    ) -> Ranking:
        """Retrieve passages for ``question`` and score their sentences (no span picking)."""
        resolved = followup.resolve(question, history)
        analysed = analyze(resolved.text, kind_from=question)
        with self.index.reading():  # an add/remove in another thread must not land between search and lookup
            hits = tuple(self.index.search(resolved.search, k=k or self.k, filters=filters))
            candidates, views, features, unseen = self.featurize(analysed, hits)
        logits = self.model.sentences.logits(features) if len(candidates) else np.zeros(0)
        order = np.argsort(-logits, kind="stable")
        inputs = confidence_features(
            features, logits, [c.article.doc_id for c in candidates], unseen, len(set(analysed.stems))
        )
        confidence = float(sigmoid(self.model.confidence.logits(inputs))[0])
        shares = np.exp(logits - logits[order[0]]) if len(logits) else logits
        return Ranking(
            question=analysed,
            hits=hits,
            candidates=tuple(candidates),
            views=tuple(views),
            features=features,
            logits=logits,
            order=order,
            confidence_inputs=inputs,
            confidence=confidence,
            shares=shares,
            reader_spans={},
        )

    def reread(self, ranking: Ranking) -> Ranking:
        """Re-rank the best sentences (at most ``rerank.depth``, within ``rerank.max_logit_gap`` of the
        best) by the reader's spans for the ranked question (a follow-up's resolved text)."""
        if self.reader is None or self.rerank is None or not ranking.candidates:
            return ranking
        positions = ranking.order[
            : self.rerank.read_count(ranking.logits[ranking.order[: self.rerank.depth]])
        ]
        candidates = [ranking.candidates[position] for position in positions]
        windows = [sentence_window(candidate, number) for number, candidate in enumerate(candidates)]
        question, stems = ranking.question.text, frozenset(ranking.question.stems)
        spans = outside_datelines(
            without_ages(question, self.reader.read(question, windows), candidates), candidates
        )
        read = [
            best_inside(candidate, spans, stems, self.rerank.overlap_penalty, window)
            for candidate, window in zip(candidates, windows, strict=True)
        ]
        rows = rerank_rows(ranking.logits[positions], read)
        scores = self.rerank.scores(rows) + lead_prior(
            candidates, self.rerank.lead_bonus, self.rerank.lead_chars
        )
        new_order = np.argsort(-scores, kind="stable")
        order = np.concatenate([positions[new_order], ranking.order[len(positions) :]])
        articles = [candidate.article.doc_id for candidate in candidates]
        confidence = self.rerank.confidence(confidence_row(ranking.confidence, rows, scores, articles))
        # read sentences: their share of the re-ranked scores; the rest stay below the last read one
        shares = ranking.shares * float(np.exp(scores - scores.max()).min())
        shares[positions] = np.exp(scores - scores.max())
        chosen = {
            int(position): item.span
            for position, item in zip(positions, read, strict=True)
            if item.span is not None
        }
        return replace(ranking, order=order, confidence=confidence, shares=shares, reader_spans=chosen)

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
            vectors = self.index.sentence_vectors_of(
                [(c.chunk.chunk_id, c.index_in_chunk) for c in candidates]
            )
            cosines = vectors @ self.index.embedder.encode_query(question.text)
        else:
            cosines = np.zeros(0)
        features = sentence_features(
            question, candidates, views, cosines.astype(np.float64), weights.__getitem__
        )
        return candidates, views, features, unseen


def _not_found(question: str, message: str) -> Answer:
    return Answer(question=question, found=False, text="", sentence="", score=0.0, message=message)
