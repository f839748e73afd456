"""Answer composition, citations and sentence features on a three-sentence article (no model files)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.qa.citations import cite, find_in_sentence
from rag.qa.compose import Ranking, compose_answers
from rag.qa.features import FEATURE_NAMES, sentence_features, view_sentence
from rag.qa.questions import analyze
from rag.qa.sentences import Candidate
from rag.types import Article, Chunk, Hit, Span

TEXT = "Wang Yi arrived on Monday. He met Ri Yong-ho in Pyongyang. They talked about trade with Ri Yong-ho."
SENTENCES = (Span(0, 26), Span(27, 58), Span(59, 99))
ARTICLE = Article(doc_id="a", title="Visit", text=TEXT, source="Wire", published="2019-09-02")
CHUNK = Chunk("a:0", "a", TEXT, 0, len(TEXT), SENTENCES)
HIT = Hit("a", "a:0", "Visit", TEXT, 0, len(TEXT), 1.0, 0.5, 3.0)


def candidate(position: int) -> Candidate:
    return Candidate(ARTICLE, CHUNK, HIT, 0, SENTENCES[position], position, "", "")


class FixedSpans:
    """A span scorer that prefers the longest option (compose only needs ``logits``)."""

    def logits(self, features: np.ndarray) -> np.ndarray:
        return np.arange(len(features), dtype=np.float64)


def ranking(
    order: list[int],
    reader_spans: dict[int, Span],
    candidates: tuple[Candidate, ...] | None = None,
    logits: tuple[float, ...] = (0.0, 2.0, 1.0),
    shares: tuple[float, ...] = (0.25, 1.0, 0.5),
    question: str = "Who did Wang Yi meet in Pyongyang?",
) -> Ranking:
    analysed = analyze(question)
    candidates = candidates or tuple(candidate(position) for position in range(3))
    return Ranking(
        question=analysed,
        hits=(HIT,),
        candidates=candidates,
        views=tuple(view_sentence(c.text, analysed) for c in candidates),
        features=np.zeros((len(candidates), len(FEATURE_NAMES))),
        logits=np.array(logits),
        order=np.array(order),
        confidence_inputs=np.zeros(1),
        confidence=0.8,
        shares=np.array(shares),
        reader_spans=reader_spans,
    )


def test_a_citation_points_into_the_article_and_its_passage():
    answer = Span(34, 44)
    citation = cite(candidate(1), answer)
    assert TEXT[citation.span.start : citation.span.end] == "Ri Yong-ho"
    assert TEXT[citation.sentence_span.start : citation.sentence_span.end] == citation.quote
    assert (citation.title, citation.source, citation.published) == ("Visit", "Wire", "2019-09-02")
    assert citation.passage == TEXT and citation.passage_span == Span(0, len(TEXT))


def test_a_span_outside_its_sentence_is_refused():
    with pytest.raises(ValueError, match="outside its sentence"):
        cite(candidate(0), Span(34, 44))


def test_find_in_sentence_is_case_insensitive_and_gives_article_offsets():
    assert find_in_sentence(candidate(2), "ri yong-ho") == Span(88, 98)
    assert find_in_sentence(candidate(0), "Ri Yong-ho") is None
    assert find_in_sentence(candidate(0), "") is None


def test_compose_takes_the_reader_span_ranks_by_order_and_cites_support():
    answers = compose_answers(
        "Who did Wang Yi meet in Pyongyang?", ranking([1, 2, 0], {1: Span(34, 44)}), FixedSpans(), 3
    )
    best = answers[0]
    assert (best.text, best.sentence, best.score) == ("Ri Yong-ho", TEXT[27:58], pytest.approx(0.8))
    # the third sentence repeats the answer: cited as support
    assert [TEXT[c.span.start : c.span.end] for c in best.citations] == ["Ri Yong-ho", "Ri Yong-ho"]
    assert best.citations[1].sentence_span == SENTENCES[2]
    # the third sentence's own pick repeats "Ri Yong-ho": skipped, so the first sentence is next
    assert [(answer.text, answer.score) for answer in answers[1:]] == [("Monday", pytest.approx(0.8 * 0.25))]


def test_compose_stops_after_max_alternatives():
    answers = compose_answers("Who?", ranking([1, 2, 0], {1: Span(34, 44)}), FixedSpans(), 0)
    assert [answer.text for answer in answers] == ["Ri Yong-ho"]


def test_sentence_features_reward_the_sentence_that_shares_the_question_words():
    question = analyze("Who did Wang Yi meet in Pyongyang?")
    candidates = [candidate(position) for position in range(3)]
    views = [view_sentence(c.text, question) for c in candidates]
    matrix = sentence_features(question, candidates, views, np.array([0.2, 0.6, 0.3]), lambda stem: 1.0)
    assert matrix.shape == (3, len(FEATURE_NAMES))
    overlap = matrix[:, FEATURE_NAMES.index("overlap_idf")]
    assert overlap[1] > overlap[2] and overlap[1] > 0
    assert matrix[:, FEATURE_NAMES.index("dense_cosine")].tolist() == pytest.approx([0.2, 0.6, 0.3])
    assert sentence_features(question, [], [], np.zeros(0), lambda stem: 1.0).shape == (0, len(FEATURE_NAMES))


def test_a_timeline_needs_two_dated_articles_that_differ():
    from rag.qa.timeline import build_timeline

    older = Article(
        doc_id="b",
        title="Earlier visit",
        text="Wang Yi met Kim in Pyongyang on Thursday.",
        published="2018-05-03",
    )
    newer = Article(
        doc_id="c",
        title="Later visit",
        text="Wang Yi arrived in Pyongyang on Monday.",
        published="2019-09-04",
    )

    def dated(article: Article) -> Candidate:
        span = Span(0, len(article.text))
        chunk = Chunk(f"{article.doc_id}:0", article.doc_id, article.text, 0, len(article.text), (span,))
        hit = Hit(
            article.doc_id, chunk.chunk_id, article.title, article.text, 0, len(article.text), 1.0, 0.5, 3.0
        )
        return Candidate(article, chunk, hit, 0, span, 0, "", "")

    spans = {
        1: Span(older.text.index("Thursday"), older.text.index("Thursday") + 8),
        2: Span(newer.text.index("Monday"), newer.text.index("Monday") + 6),
    }
    candidates = (candidate(1), dated(older), dated(newer))
    when = "When did Wang Yi visit Pyongyang?"
    made = ranking([0, 2, 1], spans, candidates, (5.0, 2.0, 3.5), (1.0, 0.01, 0.9), when)
    timeline = build_timeline(made, FixedSpans())
    assert [(e.published, e.date, e.text, e.citation.title) for e in timeline] == [
        ("2018-05-03", "2018-05-03", "Thursday", "Earlier visit"),
        ("2019-09-04", "2019-09-02", "Monday", "Later visit"),
    ]
    # too far below the best sentence: one dated article left, so no timeline
    far = ranking([0, 2, 1], spans, candidates, (9.0, 2.0, 3.5), (1.0, 0.01, 0.9), when)
    assert build_timeline(far, FixedSpans()) == ()


def test_other_sources_of_the_same_week_that_answer_otherwise_are_conflicts():
    from dataclasses import replace

    from rag.qa.conflicts import conflicting
    from rag.types import Answer, Citation

    def answer(text: str, source: str, published: str | None, score: float, doc_id: str) -> Answer:
        citation = Citation(doc_id, "T", source, published, None, "article", text, Span(0, len(text)),
                            Span(0, len(text)), text, Span(0, len(text)))  # fmt: skip
        return Answer("Who won?", True, text, f"{text} won.", score, (citation,))

    best = answer("Smith", "Herald", "2019-09-04", 0.8, "a")
    rival = answer("Jones", "Wire", "2019-09-06", 0.5, "b")
    assert conflicting(best, [rival]) == (rival,)
    assert conflicting(best, [replace(rival, score=0.2)]) == ()  # a weak reading, not a disagreement
    assert conflicting(best, [answer("Jones", "Herald", "2019-09-06", 0.5, "c")]) == ()  # same source
    assert conflicting(best, [answer("Jones", "Wire", "2019-10-06", 0.5, "d")]) == ()  # another month
    assert conflicting(best, [answer("Jones", "Wire", None, 0.5, "e")]) == ()  # undated
    assert conflicting(best, [answer("smith", "Wire", "2019-09-05", 0.5, "f")]) == ()  # says the same
    assert best.agreeing_articles == 1
    two = replace(best, citations=best.citations + rival.citations)
    assert two.agreeing_articles == 2 and two.to_dict()["agreeing_articles"] == 2
