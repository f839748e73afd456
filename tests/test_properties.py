"""Property-based tests: arbitrary text through ingest, cleaning, chunking and search never
raises anything but the documented errors, and the offset invariants always hold."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hardening_helpers import HashingEmbedder, numbered_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from rag.chunk import ChunkSettings, chunk_article
from rag.index import Index
from rag.ingest import clean_page, doc_id_for, load_articles
from rag.types import Article

set_hypothesis_home_dir(tempfile.mkdtemp(prefix="rag-hypothesis-"))  # its caches stay out of the repo
SETTINGS = settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
FILE_SETTINGS = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)

WORDS = st.sampled_from(
    [
        "The",
        "minister",
        "said",
        "on",
        "Monday",
        "Mr.",
        "U.S.",
        "3.5",
        "million",
        "Advertisement",
        "Photo:",
        "Updated:",
        "2019-09-04",
        "<b>",
        "</p>",
        "**",
        "#",
        "-",
        "•",
        "“quoted”",
        "Zürich",
        "北京",
        "🙂",
        "\u200b",
        "\u00a0",
        "e.g.",
        "...",
        "?!",
        "\t",
        "(",
        ")",
    ]
)
SEPARATORS = st.sampled_from([" ", " ", " ", ". ", "\n", "\n\n", ", ", "! ", "\r\n", ": "])
PAGE_LIKE = st.lists(st.tuples(WORDS, SEPARATORS), max_size=120).map(
    lambda pairs: "".join(w + s for w, s in pairs)
)
# Lone surrogates reach us through JSON escapes and undecodable command lines.
WITH_SURROGATES = st.lists(
    st.one_of(st.characters(), st.sampled_from(["\ud800", "\udcff"])), max_size=100
).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=400), PAGE_LIKE, WITH_SURROGATES)


@SETTINGS
@given(ANY_TEXT)
def test_clean_page_returns_documents_that_start_with_their_title(raw: str) -> None:
    for document in clean_page(raw, fallback_title="fallback"):
        assert document.title and "\n" not in document.title
        assert document.text.startswith(document.title)
        assert document.text.strip() == document.text


@SETTINGS
@given(ANY_TEXT)
def test_chunks_and_sentences_are_exact_slices_of_the_text(raw: str) -> None:
    for document in clean_page(raw, fallback_title="fallback"):
        article = Article(doc_id=doc_id_for(document.text), title=document.title, text=document.text)
        chunks = chunk_article(article, ChunkSettings(max_tokens=32))
        assert chunks, "every cleaned document has at least one sentence"
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
            for span in chunk.sentences:
                sentence = article.text[span.start : span.end]
                assert sentence and sentence == sentence.strip()


JSONL_LINE = st.one_of(
    ANY_TEXT.map(lambda text: json.dumps({"title": text[:20], "text": text})),
    ANY_TEXT.map(lambda text: json.dumps({"text": text})[: len(text) // 2 + 9]),  # cut off
    st.text(max_size=40),
)
SUFFIXES = st.sampled_from([".txt", ".md", ".html", ".jsonl", ".htm", ".markdown"])
CONTENT = st.one_of(
    st.binary(max_size=600),
    ANY_TEXT.map(lambda text: text.encode("utf-8", errors="surrogatepass")),  # not valid UTF-8 then
    ANY_TEXT.map(lambda text: text.encode("utf-16", errors="surrogatepass")),
    ANY_TEXT.map(
        lambda text: f"<html><body><p>{text}</p><script>{text}</script></body></html>".encode(
            errors="surrogatepass"
        )
    ),
    st.lists(JSONL_LINE, max_size=5).map(
        lambda lines: "\n".join(lines).encode("utf-8", errors="surrogatepass")
    ),
)


@FILE_SETTINGS
@given(content=CONTENT, suffix=SUFFIXES)
def test_load_articles_never_raises_on_any_file(content: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(content)
        result = load_articles([path])
    assert result.articles or result.warnings
    for article in result.articles:
        assert article.text.startswith(article.title) and article.doc_id == doc_id_for(article.text)
    for warning in result.warnings:
        assert warning.startswith(str(path))


@pytest.fixture(scope="module")
def small_index() -> Index:
    index = Index(embedder=HashingEmbedder())
    index.add([numbered_article(n) for n in range(5)])
    return index


@SETTINGS
@given(question=ANY_TEXT, k=st.integers(min_value=1, max_value=10))
def test_search_answers_any_question_or_says_it_is_empty(small_index: Index, question: str, k: int) -> None:
    if not question.strip():
        with pytest.raises(ValueError, match="question is empty"):
            small_index.search(question, k=k)
        return
    hits = small_index.search(question, k=k)
    assert len(hits) == min(k, len(small_index))
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


@pytest.mark.parametrize(
    ("question", "k", "error", "message"),
    [
        (None, 5, TypeError, "question must be a str, got NoneType"),
        (b"bytes", 5, TypeError, "question must be a str, got bytes"),
        ("fine", 0, ValueError, "k must be between 1 and 100, got 0"),
        ("fine", 101, ValueError, "k must be between 1 and 100, got 101"),
    ],
)
def test_search_rejects_wrong_arguments_by_name(small_index: Index, question, k, error, message) -> None:
    with pytest.raises(error, match=message):
        small_index.search(question, k=k)


def test_huge_paragraph_is_split_in_pieces_with_exact_offsets() -> None:
    """pysbd is quadratic in its input, so a long paragraph reaches it in pieces
    (240 kB here: 24 s whole, 1.8 s in pieces); no sentence may be cut or shifted."""
    from rag.chunk import split_sentences

    text = "The cat sat on the mat. " * 10_000
    spans = split_sentences(text)
    assert len(spans) == 10_000
    assert {text[span.start : span.end] for span in spans} == {"The cat sat on the mat."}
