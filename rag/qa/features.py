"""Signals for ranking candidate sentences: one row of numbers per sentence.

Training (``rag train ranker``) and answering use this same function, so the
shipped weights always meet the features they were fitted on; ``FEATURE_NAMES`` is
stored with the weights and checked on load.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.index.fusion import zscore
from rag.qa.phrases import PHRASE_KINDS, Phrase, find_phrases
from rag.qa.questions import QUESTION_TYPES, Question
from rag.qa.sentences import Candidate
from rag.qa.text import Word, content_stems, words

# BM25 constants for scoring a question against single sentences.
SENTENCE_BM25_K1 = 1.2
SENTENCE_BM25_B = 0.5

BASE_FEATURES = (
    "dense_cosine",
    "dense_cosine_gap",
    "dense_cosine_z",
    "dense_gap_in_passage",
    "overlap_idf",
    "overlap_idf_gap",
    "overlap_gap_in_passage",
    "overlap_rank_in_passage",
    "overlap_fraction",
    "bigram_overlap",
    "previous_overlap_idf",
    "next_overlap_idf",
    "title_overlap_idf",
    "window_overlap_idf",
    "passage_overlap_idf",
    "sentence_bm25_z",
    "sentence_bm25_gap",
    "passage_score",
    "passage_score_gap",
    "passage_reciprocal_rank",
    "passage_dense",
    "passage_bm25_ratio",
    "passage_best_overlap",
    "is_article_start",
    "index_in_chunk",
    "log_length",
    "novel_fraction",
    "matched_window",
    "type_match",
    "type_near",
    "focus_match",
)
TYPE_FEATURES = tuple(f"question_{kind}" for kind in QUESTION_TYPES)
PHRASE_FEATURES = tuple(f"has_{kind}" for kind in PHRASE_KINDS)
INTERACTION_FEATURES = tuple(f"{kind}_x_{phrase}" for kind in QUESTION_TYPES for phrase in PHRASE_KINDS)
FEATURE_NAMES: tuple[str, ...] = BASE_FEATURES + TYPE_FEATURES + PHRASE_FEATURES + INTERACTION_FEATURES


@dataclass(frozen=True)
class SentenceView:
    """A candidate sentence's words and its typed phrases that the question does not already hold."""

    words: tuple[Word, ...]
    stems: frozenset[str]
    content_stems: tuple[str, ...]
    novel_phrases: tuple[Phrase, ...]


def view_sentence(sentence: str, question: Question) -> SentenceView:
    """Words, stems and new typed phrases of ``sentence`` relative to ``question``."""
    sentence_words = words(sentence)
    question_stems = set(question.stems)
    content = tuple(word.stem for word in sentence_words if not word.is_stopword)
    novel = []
    for phrase in find_phrases(sentence):
        inside = [
            w for w in sentence_words if w.start < phrase.end and w.end > phrase.start and not w.is_stopword
        ]
        if inside and any(w.stem not in question_stems for w in inside):
            novel.append(phrase)
    return SentenceView(sentence_words, frozenset(w.stem for w in sentence_words), content, tuple(novel))


def _bigrams(stems: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(stems, stems[1:], strict=False))


def sentence_features(
    question: Question,
    candidates: Sequence[Candidate],
    views: Sequence[SentenceView],
    cosines: np.ndarray,
    idf: Callable[[str], float],
) -> np.ndarray:
    """Feature matrix ``(len(candidates), len(FEATURE_NAMES))`` for one question.

    Arguments:
        question: the analysed question.
        candidates, views: the candidate sentences and their :func:`view_sentence` views.
        cosines: cosine of each sentence's vector with the question's.
        idf: weight of a question word's stem (see :class:`rag.qa.weights.TermWeights`).
    """
    count = len(candidates)
    matrix = np.zeros((count, len(FEATURE_NAMES)), dtype=np.float64)
    if count == 0:
        return matrix
    column = {name: position for position, name in enumerate(FEATURE_NAMES)}
    question_stems = list(dict.fromkeys(question.stems))
    weights = {stem: idf(stem) for stem in question_stems}
    total_weight = sum(weights.values()) or 1.0

    def coverage(stems: set[str] | frozenset[str]) -> float:
        return sum(weight for stem, weight in weights.items() if stem in stems) / total_weight

    question_bigrams = _bigrams(list(question.stems))
    average_length = float(np.mean([max(len(view.content_stems), 1) for view in views]))
    top_score = candidates[0].hit.score
    top_bm25 = max(candidate.hit.bm25_score for candidate in candidates) or 1.0
    passages: dict[str, list[int]] = {}
    for row, candidate in enumerate(candidates):
        passages.setdefault(candidate.chunk.chunk_id, []).append(row)

    overlap = np.zeros(count)
    bm25 = np.zeros(count)
    for row, (candidate, view) in enumerate(zip(candidates, views, strict=True)):
        matched = [stem for stem in question_stems if stem in view.stems]
        overlap[row] = coverage(view.stems)
        length = max(len(view.content_stems), 1)
        for stem in matched:
            frequency = view.content_stems.count(stem) or 1
            norm = SENTENCE_BM25_K1 * (1 - SENTENCE_BM25_B + SENTENCE_BM25_B * length / average_length)
            bm25[row] += weights[stem] * frequency * (SENTENCE_BM25_K1 + 1) / (frequency + norm)
        previous = set(content_stems(candidate.previous_text))
        title = set(content_stems(candidate.article.title))
        values = matrix[row]
        values[column["overlap_fraction"]] = len(matched) / max(len(question_stems), 1)
        values[column["bigram_overlap"]] = (
            len(question_bigrams & _bigrams(view.content_stems)) / len(question_bigrams)
            if question_bigrams
            else 0.0
        )
        values[column["previous_overlap_idf"]] = coverage(previous)
        values[column["next_overlap_idf"]] = coverage(set(content_stems(candidate.next_text)))
        values[column["title_overlap_idf"]] = coverage(title)
        values[column["window_overlap_idf"]] = coverage(view.stems | previous)
        values[column["passage_score"]] = candidate.hit.score
        values[column["passage_score_gap"]] = candidate.hit.score - top_score
        values[column["passage_reciprocal_rank"]] = 1.0 / (candidate.hit_rank + 1)
        values[column["passage_dense"]] = candidate.hit.dense_score
        values[column["passage_bm25_ratio"]] = candidate.hit.bm25_score / top_bm25
        values[column["is_article_start"]] = float(candidate.is_article_start)
        values[column["index_in_chunk"]] = math.log1p(candidate.index_in_chunk)
        values[column["log_length"]] = math.log1p(len(view.content_stems))
        novel = [stem for stem in view.content_stems if stem not in weights]
        values[column["novel_fraction"]] = len(novel) / length
        positions = [i for i, stem in enumerate(view.content_stems) if stem in weights]
        values[column["matched_window"]] = (
            len(set(view.content_stems[positions[0] : positions[-1] + 1]) & set(matched))
            / (positions[-1] - positions[0] + 1)
            if positions
            else 0.0
        )
        kinds = {phrase.kind for phrase in view.novel_phrases}
        values[column["type_match"]] = float(any(kind in kinds for kind in question.expected_phrases))
        values[column["type_near"]] = _type_nearness(question, view, weights)
        values[column["focus_match"]] = float(bool(question.focus) and question.focus in view.stems)
        values[column[f"question_{question.kind}"]] = 1.0
        for kind in kinds:
            values[column[f"has_{kind}"]] = 1.0
            values[column[f"{question.kind}_x_{kind}"]] = 1.0

    for rows in passages.values():
        passage_stems: set[str] = set(content_stems(candidates[rows[0]].article.title))
        for row in rows:
            passage_stems |= views[row].stems
        best_overlap = overlap[rows].max()
        best_cosine = cosines[rows].max()
        ranks = np.argsort(np.argsort(-overlap[rows], kind="stable"), kind="stable")
        for position, row in enumerate(rows):
            matrix[row, column["passage_overlap_idf"]] = coverage(passage_stems)
            matrix[row, column["passage_best_overlap"]] = best_overlap
            matrix[row, column["overlap_gap_in_passage"]] = overlap[row] - best_overlap
            matrix[row, column["overlap_rank_in_passage"]] = 1.0 / (1 + ranks[position])
            matrix[row, column["dense_gap_in_passage"]] = cosines[row] - best_cosine

    matrix[:, column["dense_cosine"]] = cosines
    matrix[:, column["dense_cosine_gap"]] = cosines - cosines.max()
    matrix[:, column["dense_cosine_z"]] = zscore(cosines, dtype=np.float64)
    matrix[:, column["overlap_idf"]] = overlap
    matrix[:, column["overlap_idf_gap"]] = overlap - overlap.max()
    matrix[:, column["sentence_bm25_z"]] = zscore(bm25, dtype=np.float64)
    matrix[:, column["sentence_bm25_gap"]] = (bm25 - bm25.max()) / (bm25.max() or 1.0)
    return matrix


def _type_nearness(question: Question, view: SentenceView, weights: dict[str, float]) -> float:
    """``1 / (1 + words)`` between the closest expected-type phrase and a question word; 0 if none."""
    expected = question.expected_phrases
    phrases = [phrase for phrase in view.novel_phrases if phrase.kind in expected]
    matched = [word.start for word in view.words if word.stem in weights and not word.is_stopword]
    if not phrases or not matched:
        return 0.0
    starts = [word.start for word in view.words]
    best = len(starts)
    for phrase in phrases:
        first = bisect.bisect_left(starts, phrase.start)
        last = max(first, bisect.bisect_left(starts, phrase.end) - 1)
        for offset in matched:
            position = bisect.bisect_left(starts, offset)
            best = min(
                best, first - position if position < first else position - last if position > last else 0
            )
    return 1.0 / (1.0 + best)
