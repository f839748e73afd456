"""An Answer as a chat message: highlights at the right offsets, article text never markup."""

from __future__ import annotations

import html
import re

import pytest

from rag.types import Answer, Citation, Span
from rag.ui.format import (
    NOT_FOUND_REPLY,
    ConfidenceBands,
    confidence_level,
    escape_text,
    format_answer,
    format_date,
    highlight,
)

# One article text; the sentence and answer offsets below index into it.
TEXT = "Talks stalled in June. Wang Yi met Ri Yong-ho in Pyongyang on Monday. Both sides smiled."
SENTENCE = Span(23, 69)
ANSWER = Span(35, 45)


def citation(**changes) -> Citation:
    fields = dict(
        doc_id="d1",
        title="Wang visits Pyongyang",
        source="The Korea Herald",
        published="2019-09-04",
        path="seeds/a.txt",
        kind="article",
        quote=TEXT[SENTENCE.start : SENTENCE.end],
        span=ANSWER,
        sentence_span=SENTENCE,
        passage=TEXT,
        passage_span=Span(0, len(TEXT)),
    )
    fields.update(changes)
    return Citation(**fields)


def answer(**changes) -> Answer:
    fields = dict(
        question="Who did Wang Yi meet?",
        found=True,
        text="Ri Yong-ho",
        sentence=TEXT[SENTENCE.start : SENTENCE.end],
        score=0.8,
        citations=(citation(),),
    )
    fields.update(changes)
    return Answer(**fields)


def marked(message: str, css_class: str) -> list[str]:
    """The unescaped text inside each ``<mark class=css_class>`` (no nested marks inside)."""
    return [html.unescape(inner) for inner in re.findall(f'<mark class="{css_class}">(.*?)</mark>', message)]


def test_escape_text_turns_markup_and_markdown_into_entities():
    assert escape_text("<b>*x*</b> & [a](b) $y$\nz") == (
        "&#60;b&#62;&#42;x&#42;&#60;/b&#62; &#38; &#91;a&#93;(b) &#36;y&#36;<br>z"
    )


def test_highlight_wraps_answer_inside_sentence_at_the_given_offsets():
    assert highlight("ab cd ef", Span(3, 8), Span(3, 5)) == (
        'ab <mark class="rag-sentence"><mark class="rag-answer">cd</mark> ef</mark>'
    )


def test_highlight_drops_a_span_outside_the_text():
    assert highlight("abc", Span(1, 9), Span(0, 2)) == '<mark class="rag-answer">ab</mark>c'


def test_highlight_drops_an_answer_outside_its_sentence():
    assert highlight("abcdef", Span(0, 3), Span(2, 5)) == '<mark class="rag-sentence">abc</mark>def'


def test_answer_message_highlights_the_answer_span_in_quote_and_passage():
    message = format_answer(answer())
    assert marked(message, "rag-answer") == ["Ri Yong-ho", "Ri Yong-ho"]
    assert re.findall(r'<mark class="rag-sentence">(.*?)</mark> Both', message) == [
        'Wang Yi met <mark class="rag-answer">Ri Yong-ho</mark> in Pyongyang on Monday.'
    ]
    assert '<strong class="rag-answer-text">Ri Yong-ho</strong>' in message


def test_highlight_uses_offsets_not_the_first_occurrence():
    text = "Ri met Ri."
    sentence = Span(0, len(text))
    message = format_answer(
        answer(
            text="Ri",
            sentence=text,
            citations=(
                citation(
                    quote=text, span=Span(7, 9), sentence_span=sentence, passage=text, passage_span=sentence
                ),
            ),
        )
    )
    assert 'Ri met <mark class="rag-answer">Ri</mark>.' in message


def test_citation_label_and_passage_offsets_relative_to_the_passage():
    passage = TEXT[SENTENCE.start :]
    message = format_answer(
        answer(citations=(citation(passage=passage, passage_span=Span(SENTENCE.start, len(TEXT))),))
    )
    assert (
        '<span class="rag-cite-num">[1]</span> <span class="rag-cite-title">Wang visits Pyongyang</span>'
        in message
    )
    assert "— The Korea Herald, 4 Sep 2019" in message
    assert marked(message, "rag-answer") == ["Ri Yong-ho", "Ri Yong-ho"]


def test_article_text_is_escaped_everywhere():
    hostile = '<script>alert("x")</script> **bold** <img src=x onerror=alert(1)>'
    text = f"Ri Yong-ho said {hostile}."
    sentence = Span(0, len(text))
    message = format_answer(
        answer(
            text="Ri Yong-ho",
            sentence=text,
            citations=(
                citation(
                    title=hostile,
                    source=hostile,
                    quote=text,
                    span=Span(0, 10),
                    sentence_span=sentence,
                    passage=text,
                    passage_span=sentence,
                    path="/srv/news/<b>x.md",
                ),
            ),
        )
    )
    assert "<script" not in message and "<img" not in message and "<b>" not in message and "**" not in message
    assert message.count("&#60;script&#62;") == 4  # title, source, quote, passage
    assert "&#60;b&#62;x.md" in message  # the file name, not the server's folders
    assert "\n" not in message  # one HTML block: Markdown never parses inside it


def test_alternatives_are_listed_with_numbering_continued():
    other = answer(text="Monday", score=0.3, citations=(citation(span=Span(62, 68)),))
    message = format_answer(answer(alternatives=(other,)))
    assert "Other possible answers" in message
    assert re.findall(r'rag-cite-num">\[(\d+)\]', message) == ["1", "2"]
    assert marked(message, "rag-answer") == ["Ri Yong-ho", "Ri Yong-ho", "Monday", "Monday"]
    assert "Low confidence · 0.30" in message


def test_not_found_shows_the_plain_message_and_closest_passages():
    message = format_answer(
        Answer(
            question="What is the capital of Canada?",
            found=False,
            text="",
            sentence="",
            score=0.1,
            citations=(citation(span=Span(23, 23)),),
        )
    )
    assert NOT_FOUND_REPLY in message
    assert "Closest passages" in message
    assert marked(message, "rag-answer") == []
    assert marked(message, "rag-sentence") == [TEXT[SENTENCE.start : SENTENCE.end]]


@pytest.mark.parametrize(
    ("score", "level"), [(0.75, "high"), (0.7499, "medium"), (0.5, "medium"), (0.49, "low")]
)
def test_confidence_level_bands(score, level):
    assert confidence_level(score) == level


def test_confidence_bands_reject_inverted_thresholds():
    with pytest.raises(ValueError, match="medium=0.8, high=0.6"):
        ConfidenceBands(high=0.6, medium=0.8)


@pytest.mark.parametrize(
    ("published", "shown"),
    [
        ("2019-09-04", "4 Sep 2019"),
        ("2019-11-18T10:30:00+07:00", "18 Nov 2019"),
        ("last May", "last May"),
        (None, ""),
    ],
)
def test_format_date(published, shown):
    assert format_date(published) == shown


def test_not_found_takes_closest_passages_from_the_candidates_once_each():
    candidate = answer(score=0.2)
    message = format_answer(
        Answer(
            question="What is the capital of Canada?",
            found=False,
            text="",
            sentence="",
            score=0.2,
            alternatives=(
                candidate,
                answer(text="Monday", score=0.1, citations=(citation(span=Span(62, 68)),)),
            ),
            message="best candidate scored 0.20",
        )
    )
    assert re.findall(r'rag-cite-num">\[(\d+)\]', message) == ["1"]  # both candidates cite one passage
    assert marked(message, "rag-answer") == []
    assert '<p class="rag-note">best candidate scored 0.20</p>' in message
