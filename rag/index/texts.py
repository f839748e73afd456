"""What the index stores and searches for each chunk and sentence, and the content hashes
that tell an already-embedded sentence from a new one."""

from __future__ import annotations

import hashlib

from rag.types import Article, Chunk, Span


def passage_text(article: Article, chunk: Chunk) -> str:
    """What gets BM25-indexed (and hashed): the headline gives every chunk its topic."""
    return f"{article.title}\n{chunk.text}" if article.title else chunk.text


def sentence_text(article: Article, sentence: Span) -> str:
    """What the sentence-level BM25 indexes: the headline and one sentence."""
    text = article.text[sentence.start : sentence.end]
    return f"{article.title}\n{text}" if article.title else text


def content_hash(text: str) -> str:
    """Short SHA-256 of ``text``: the embedding cache's key for a sentence."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]
