"""Answers from a ranked list of sentences: the answer span in each, distinct texts, citations.

The last step of ``QA.ask``: walk the sentences best first, take the reader's span where it
read the sentence (else the span scorer's, ``rag.qa.spans``), drop answers whose text was
already given, and cite the best answer's sentence plus up to two other top sentences that
hold the same text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rag.qa.amounts import with_bound
from rag.qa.citations import cite, find_in_sentence
from rag.qa.features import SentenceView
from rag.qa.model import Scorer
from rag.qa.questions import Question
from rag.qa.roles import only_other_holders, person_question, role_holder_span, role_question, title_of
from rag.qa.sentences import Candidate
from rag.qa.spans import span_candidates, span_features
from rag.qa.statements import MIN_CLAUSE_WORDS, statement_span
from rag.qa.text import words
from rag.qa.voice import agent_acts, agent_is_object, object_instead, passive_question, verb_with_adverb
from rag.types import Answer, Citation, Hit, Span

#: Extra citations of other sentences that hold the same answer text, at most.
MAX_SUPPORTING_CITATIONS = 4
#: Ranked sentences searched for the holder of a role ("Who is X's foreign minister?").
ROLE_DEPTH = 5
#: Ranked sentences searched for supporting citations.
SUPPORT_DEPTH = 8


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
        confidence_inputs: the confidence model's input row (``rag.qa.calibration``).
        confidence: calibrated probability that the best candidate holds the answer.
        shares: each candidate's weight relative to the best (1.0), for the alternatives' scores.
        reader_spans: answer span chosen by the reader, by candidate index (re-ranked ones only).
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
    shares: np.ndarray
    reader_spans: dict[int, Span]


def compose_answers(question: str, ranking: Ranking, spans: Scorer, max_alternatives: int) -> list[Answer]:
    """The best answer, then up to ``max_alternatives`` distinct others, best first.

    ``spans`` is the span scorer used where the reader did not read (or found nothing in) a sentence.
    """
    shares = ranking.shares
    answers: list[Answer] = []
    seen_texts: set[str] = set()
    for position in ranking.order:
        if len(answers) > max_alternatives:
            break
        candidate = ranking.candidates[position]
        span = ranking.reader_spans.get(int(position)) or scored_span(
            spans, ranking.question, candidate, ranking.views[position]
        )
        text = candidate.article.text[span.start : span.end]
        key = " ".join(text.lower().split())
        if key in seen_texts:
            continue
        seen_texts.add(key)
        citations = [cite(candidate, span)]
        if not answers:
            citations += supporting_citations(ranking, position, text)
        answers.append(
            Answer(
                question=question,
                found=True,
                text=text,
                sentence=candidate.text,
                score=ranking.confidence * float(shares[position]),
                citations=tuple(citations),
                dates=citations[0].dates,
            )
        )
    return answers


def with_statement_spans(ranking: Ranking) -> Ranking:
    """``ranking`` answering with the reported clause (``rag.qa.statements``) of each sentence
    where the reader chose no span or one too short to say anything (a name, "protests"), for a
    question about what someone said; order and confidence stay as they are."""
    chosen = dict(ranking.reader_spans)
    for position in ranking.order:
        candidate = ranking.candidates[position]
        kept = chosen.get(int(position))
        if kept is not None and len(words(candidate.article.text[kept.start : kept.end])) >= MIN_CLAUSE_WORDS:
            continue
        start, end = statement_span(candidate.text)
        chosen[int(position)] = Span(candidate.span.start + start, candidate.span.start + end)
    return replace(ranking, reader_spans=chosen)


def with_role_answers(ranking: Ranking) -> Ranking:
    """``ranking`` with a role question answered by the right holder (``rag.qa.roles``).

    "Who is North Korea's foreign minister?": the first of the best ``ROLE_DEPTH`` sentences that
    names the holder of that role with a matching title goes first, answered with the name; when
    none matches fully, one naming the role's holder without saying whose goes first only if
    the best sentence names holders of the role for someone else alone. "Who is Ri Yong-ho?":
    the first sentence giving that name a title answers with the title.
    """
    text = ranking.question.text
    asked, person = role_question(text), person_question(text)
    if asked is None and person is None:
        return ranking
    top = [int(position) for position in ranking.order[:ROLE_DEPTH]]
    chosen: tuple[int, tuple[int, int]] | None = None
    if asked is not None:
        found = {p: role_holder_span(asked, ranking.candidates[p].text) for p in top}
        full = [(p, hit[0]) for p, hit in found.items() if hit is not None and hit[1]]
        partial = [(p, hit[0]) for p, hit in found.items() if hit is not None and not hit[1]]
        best = ranking.candidates[top[0]].text
        if full:
            chosen = full[0]
        elif partial and found[top[0]] is None and only_other_holders(asked, best):
            chosen = partial[0]
    elif person is not None:
        titled = [(p, title_of(person, ranking.candidates[p].text)) for p in top]
        chosen = next(((p, span) for p, span in titled if span is not None), None)
    if chosen is None:
        return ranking
    return _answered_first(ranking, *chosen)


def _answered_first(ranking: Ranking, position: int, span: tuple[int, int]) -> Ranking:
    """``ranking`` with sentence ``position`` first, answered with ``span`` (sentence offsets)."""
    sentence = ranking.candidates[position].span
    order = np.concatenate([[position], [p for p in ranking.order if int(p) != position]])
    shares = ranking.shares.copy()
    shares[position] = max(1.0, float(shares[position]))
    spans = {**ranking.reader_spans, position: Span(sentence.start + span[0], sentence.start + span[1])}
    return replace(ranking, order=order, shares=shares, reader_spans=spans)


def with_rule_answers(ranking: Ranking) -> Ranking:
    """The hand-written English rules over the chosen spans: role holders, passive voice, a
    "What did X do?" answered with a lone adverb gets its verb (``rag.qa.voice``), and an amount
    keeps its bound ("at least 38", ``rag.qa.amounts``)."""
    ranking = with_voice_answers(with_role_answers(ranking))
    question = ranking.question.text
    ranking = _with_moved_spans(
        ranking, lambda text, start, end: verb_with_adverb(question, text, start, end)
    )
    return _with_moved_spans(ranking, with_bound)


def _with_moved_spans(ranking: Ranking, move: Callable[[str, int, int], tuple[int, int] | None]) -> Ranking:
    """``ranking`` with each reader span replaced by ``move(sentence, start, end)`` (offsets into
    the sentence) where that gives one."""
    spans = dict(ranking.reader_spans)
    for position, span in ranking.reader_spans.items():
        sentence = ranking.candidates[position].span
        moved = move(
            ranking.candidates[position].text, span.start - sentence.start, span.end - sentence.start
        )
        if moved is not None:
            spans[position] = Span(sentence.start + moved[0], sentence.start + moved[1])
    return replace(ranking, reader_spans=spans)


def with_voice_answers(ranking: Ranking) -> Ranking:
    """``ranking`` with a passive question's reader spans moved from the active sentence's subject
    to its object (``rag.qa.voice``): "Who was accused of ...?" answers with the accused. For
    "... by <agent>?", when the best sentence has the agent as the verb's object, the first of the
    best ``ROLE_DEPTH`` with the agent acting goes first."""
    asked = passive_question(ranking.question.text)
    if asked is None or not ranking.candidates:
        return ranking
    ranking = _with_moved_spans(ranking, lambda text, start, end: object_instead(asked, text, start, end))
    top = [int(position) for position in ranking.order[:ROLE_DEPTH]]
    if not agent_is_object(asked, ranking.candidates[top[0]].text):
        return ranking
    acting = ((p, agent_acts(asked, ranking.candidates[p].text)) for p in top[1:])
    chosen = next(((p, span) for p, span in acting if span is not None), None)
    return ranking if chosen is None else _answered_first(ranking, *chosen)


def scored_span(spans: Scorer, question: Question, candidate: Candidate, view: SentenceView) -> Span:
    """Article offsets of the answer inside ``candidate``'s sentence (the span scorer's pick)."""
    options = span_candidates(candidate.text, view, question)
    if not options:
        return candidate.span
    scores = spans.logits(span_features(candidate.text, view, question, options))
    best_option = options[int(np.argmax(scores))]
    return Span(candidate.span.start + best_option.start, candidate.span.start + best_option.end)


def supporting_citations(ranking: Ranking, chosen: int, text: str) -> list[Citation]:
    """Citations of other top sentences that hold the same answer text: one per other article
    first (they corroborate it), then other sentences of the same article."""
    if len(words(text)) == 0:
        return []
    others: list[Citation] = []
    same: list[Citation] = []
    quotes = {ranking.candidates[chosen].text}
    articles = {ranking.candidates[chosen].article.doc_id}
    for position in ranking.order[:SUPPORT_DEPTH]:
        candidate = ranking.candidates[position]
        span = find_in_sentence(candidate, text)
        if span is None or candidate.text in quotes:
            continue
        quotes.add(candidate.text)
        if candidate.article.doc_id in articles:
            same.append(cite(candidate, span))
        else:
            articles.add(candidate.article.doc_id)
            others.append(cite(candidate, span))
    return (others + same)[:MAX_SUPPORTING_CITATIONS]
