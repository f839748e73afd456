"""Sentence splitting and chunking keep exact character offsets."""

from __future__ import annotations

import pytest

from rag.chunk import ChunkSettings, chunk_article, count_wordpieces, split_sentences
from rag.types import Article


def test_offsets_round_trip_on_all_seeds(seed_articles) -> None:
    for article in seed_articles:
        chunks = chunk_article(article)
        assert chunks, article.title
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
            for span in chunk.sentences:
                sentence = article.text[span.start : span.end]
                assert sentence == sentence.strip() and sentence


def test_chunks_fit_the_token_budget_and_overlap_by_one_sentence(seed_articles) -> None:
    settings = ChunkSettings(max_tokens=64, overlap_sentences=1)
    article = max(seed_articles, key=lambda a: len(a.text))
    chunks = chunk_article(article, settings)
    assert len(chunks) > 3
    for chunk in chunks:
        assert len(chunk.sentences) == 1 or count_wordpieces(chunk.text) <= 62 + len(chunk.sentences)
    for before, after in zip(chunks, chunks[1:], strict=False):
        if len(before.sentences) > 1:  # a one-sentence chunk cannot share its only sentence
            assert after.sentences[0] == before.sentences[-1]
        else:
            assert after.sentences[0].start > before.sentences[-1].start
    covered = {span for chunk in chunks for span in chunk.sentences}
    assert covered == set(split_sentences(article.text))


def test_sentence_split_handles_abbreviations_and_paragraphs() -> None:
    text = "Title here\n\nMr. Smith met U.S. officials on Aug. 16. They talked.\n\nA new paragraph"
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "Title here",
        "Mr. Smith met U.S. officials on Aug. 16.",
        "They talked.",
        "A new paragraph",
    ]


def test_long_sentence_becomes_its_own_chunk() -> None:
    long_sentence = " ".join(["word"] * 400) + "."
    article = Article(doc_id="d", title="t", text=f"Short one. {long_sentence} Short two.")
    chunks = chunk_article(article, ChunkSettings(max_tokens=64, overlap_sentences=0))
    assert [c.text for c in chunks] == ["Short one.", long_sentence, "Short two."]
    assert chunks[0].chunk_id == "d-0000"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 4}, "max_tokens must be >= 16, got 4"),
        ({"overlap_sentences": -1}, "overlap_sentences must be >= 0"),
    ],
)
def test_settings_validation(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        ChunkSettings(**kwargs)
