"""Candidate sentences: every sentence of the retrieved passages, once each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rag.index import SearchIndex
from rag.types import Article, Chunk, Hit, Span

#: Chunks remembered by :class:`ChunkLookup` before it starts afresh.
CHUNK_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with the passage it was found in.

    Attributes:
        article: the article holding the sentence.
        chunk: the best-ranked retrieved chunk holding it (overlapping chunks share sentences).
        hit: that chunk's search result; ``hit_rank`` its 0-based rank.
        span: the sentence's offsets into ``article.text``.
        index_in_chunk: position of the sentence in ``chunk``.
        previous_text, next_text: neighbouring sentences in the chunk ("" at its edges).
    """

    article: Article
    chunk: Chunk
    hit: Hit
    hit_rank: int
    span: Span
    index_in_chunk: int
    previous_text: str
    next_text: str

    @property
    def text(self) -> str:
        return self.article.text[self.span.start : self.span.end]

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.article.doc_id, self.span.start, self.span.end)

    @property
    def is_article_start(self) -> bool:
        return not self.article.text[: self.span.start].strip()


class ChunkLookup:
    """Chunks by id for one index, remembered until the index changes (``version``): a chat asks
    about the same few chunks again and again, and a remote backend fetches each one."""

    def __init__(self, index: SearchIndex, size: int = CHUNK_CACHE_SIZE) -> None:
        self.index = index
        self.size = size
        self._by_id: dict[str, Chunk] = {}
        self._version = -1

    def get(self, hit: Hit) -> Chunk:
        if self._version != self.index.version or len(self._by_id) >= self.size:
            self._by_id, self._version = {}, self.index.version
        chunk = self._by_id.get(hit.chunk_id)
        if chunk is None or (chunk.start, chunk.end) != (hit.start, hit.end):
            try:
                chunk = self.index.chunk(hit.chunk_id)
            except KeyError:
                raise KeyError(f"chunk {hit.chunk_id!r} of a search hit is not in the index") from None
            self._by_id[hit.chunk_id] = chunk
        return chunk


def candidate_sentences(index: SearchIndex, hits: Sequence[Hit], chunks: ChunkLookup) -> list[Candidate]:
    """The sentences of ``hits`` in rank order, each sentence once (from its best hit)."""
    seen: set[tuple[str, int, int]] = set()
    candidates: list[Candidate] = []
    for rank, hit in enumerate(hits):
        article = index.article(hit.doc_id)
        chunk = chunks.get(hit)
        spans = chunk.sentences or (Span(chunk.start, chunk.end),)
        for position, span in enumerate(spans):
            key = (article.doc_id, span.start, span.end)
            if key in seen:
                continue
            seen.add(key)
            previous_span = spans[position - 1] if position > 0 else None
            next_span = spans[position + 1] if position + 1 < len(spans) else None
            candidates.append(
                Candidate(
                    article=article,
                    chunk=chunk,
                    hit=hit,
                    hit_rank=rank,
                    span=span,
                    index_in_chunk=position,
                    previous_text=article.text[previous_span.start : previous_span.end]
                    if previous_span
                    else "",
                    next_text=article.text[next_span.start : next_span.end] if next_span else "",
                )
            )
    return candidates
