"""Placeholder answerer: the best sentence of the best passage (replaced by issue 4)."""

from __future__ import annotations

import threading
from pathlib import Path

from rag.config import default_index_dir, seeds_dir
from rag.index import Index, IndexNotFoundError, build_index, load_index
from rag.types import Answer, Citation, Span

_default: Index | None = None
_default_lock = threading.Lock()


def default_index(index_dir: str | Path | None = None) -> Index:
    """The default index, loaded once; built from ``seeds/`` when missing."""
    global _default
    with _default_lock:
        if _default is None:
            path = Path(index_dir) if index_dir else default_index_dir()
            try:
                _default = load_index(path)
            except IndexNotFoundError:
                _default = build_index([seeds_dir()], path)
        return _default


class QA:
    def __init__(self, index: Index | None = None, k: int = 5) -> None:
        self.index = index or default_index()
        self.k = k

    def ask(self, question: str, k: int | None = None) -> Answer:
        hits = self.index.search(question, k=k or self.k)
        if not hits:
            return Answer(question=question, found=False, text="", sentence="", score=0.0)
        hit = hits[0]
        article = self.index.article(hit.doc_id)
        chunk = next(c for c in self.index.chunks if c.chunk_id == hit.chunk_id)
        span = chunk.sentences[0]
        sentence = article.text[span.start : span.end]
        citation = Citation(
            doc_id=article.doc_id, title=article.title, source=article.source, published=article.published,
            path=article.path, kind=article.kind, quote=sentence, span=span, sentence_span=span,
            passage=chunk.text, passage_span=Span(chunk.start, chunk.end),
        )
        return Answer(question=question, found=True, text=sentence, sentence=sentence, score=0.5, citations=(citation,))


def ask(question: str, index: Index | None = None, k: int = 5) -> Answer:
    return QA(index, k=k).ask(question)
