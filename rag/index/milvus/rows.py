"""Articles, chunks and sentences as Milvus rows, and back (see ``schema`` for the fields)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from rag.index.filters import published_day
from rag.index.milvus.schema import MARKER, MAX_ANALYSED_CHARS, PACKED_VECTOR, TEXT_PART_CHARS
from rag.index.sparse import tokenize
from rag.index.texts import passage_text, sentence_text
from rag.types import Article, Chunk, Span

#: Article fields kept in the ``meta`` JSON (the text is stored in parts beside it).
META_FIELDS = ("title", "source", "published", "url", "path", "kind", "author", "pages")


def row_id(text: str) -> int:
    """A stable 63-bit primary key for ``text`` (a chunk id, or chunk id and sentence position)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") >> 1


def chunk_row_id(chunk_id: str) -> int:
    return row_id(chunk_id)


def sentence_row_id(chunk_id: str, position: int) -> int:
    return row_id(f"{chunk_id}#{position}")


def pack_vectors(vectors: np.ndarray) -> list[str]:
    """Each row of ``vectors`` as a ``packed_vector`` text: float16, little-endian, base64."""
    packed = np.ascontiguousarray(vectors, dtype="<f2")
    width = packed.shape[1] * packed.itemsize
    raw = packed.tobytes()
    return [
        base64.b64encode(raw[start : start + width]).decode("ascii") for start in range(0, len(raw), width)
    ]


def unpack_vectors(texts: Sequence[str], dimension: int) -> np.ndarray:
    """The float32 vectors of ``packed_vector`` texts, one row each."""
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32)
    raw = b"".join(base64.b64decode(text) for text in texts)
    return np.frombuffer(raw, dtype="<f2").reshape(len(texts), dimension).astype(np.float32)


def analysed(text: str) -> str:
    """``text`` as our BM25 tokenizer leaves it (stemmed, no stop words), for Milvus to index."""
    return " ".join(tokenize(text))[:MAX_ANALYSED_CHARS]


def published_number(article: Article) -> int:
    """``YYYYMMDD`` of the publication day, 0 when unknown (``Filter.to_expression``'s convention)."""
    day = published_day(article)
    return int(f"{day:%Y%m%d}") if day else 0


def article_rows(article: Article, added: int | None = None) -> list[dict[str, Any]]:
    """The ``articles`` rows of one article: its metadata and text in parts."""
    stamp = time.time_ns() if added is None else added
    meta = {name: getattr(article, name) for name in META_FIELDS}
    meta["pages"] = list(article.pages)
    parts = [
        article.text[start : start + TEXT_PART_CHARS]
        for start in range(0, len(article.text), TEXT_PART_CHARS)
    ]
    return [
        {
            "key": f"{article.doc_id}#{number}",
            "doc_id": article.doc_id,
            "part": number,
            "added": stamp,
            "meta": meta if number == 0 else {},
            "text": part,
            "marker": MARKER,
        }
        for number, part in enumerate(parts or [""])
    ]


def articles_from_rows(rows: Iterable[dict[str, Any]]) -> list[Article]:
    """Articles rebuilt from their ``articles`` rows (any order), in the order they were added."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["doc_id"], []).append(row)
    articles = []
    for doc_id, parts in grouped.items():
        parts.sort(key=lambda row: row["part"])
        if parts[0]["part"] != 0:
            continue  # being written or removed by another process
        meta = parts[0]["meta"]
        if isinstance(meta, str):
            meta = json.loads(meta)
        text = "".join(row["text"] for row in parts)
        article = Article.from_dict({**meta, "doc_id": doc_id, "text": text})
        articles.append((parts[0]["added"], article))
    return [article for _, article in sorted(articles, key=lambda pair: pair[0])]


def chunk_rows(article: Article, chunks: Sequence[Chunk], vectors: np.ndarray) -> list[dict[str, Any]]:
    """The ``chunks`` rows of one article's chunks (``vectors``: one mean vector per chunk)."""
    source = (article.source or "").casefold()
    published = published_number(article)
    return [
        {
            "id": chunk_row_id(chunk.chunk_id),
            "chunk_id": chunk.chunk_id,
            "doc_id": article.doc_id,
            "source": source,
            "kind": article.kind,
            "published": published,
            "start": chunk.start,
            "end": chunk.end,
            "sentences": [offset for span in chunk.sentences for offset in (span.start, span.end)],
            "vector": vector,
            "analysed": analysed(passage_text(article, chunk)),
        }
        for chunk, vector in zip(chunks, np.asarray(vectors, dtype=np.float32).tolist(), strict=True)
    ]


def sentence_rows(article: Article, chunks: Sequence[Chunk], vectors: np.ndarray) -> list[dict[str, Any]]:
    """The ``sentences`` rows of one article's chunks (``vectors``: one per sentence, chunk by chunk;
    stored float16-rounded, as the local backend keeps them)."""
    packed = pack_vectors(vectors)
    rows = []
    number = 0
    for chunk in chunks:
        chunk_key = chunk_row_id(chunk.chunk_id)
        for position, span in enumerate(chunk.sentences):
            rows.append(
                {
                    "id": sentence_row_id(chunk.chunk_id, position),
                    "chunk": chunk_key,
                    "position": position,
                    "doc_id": article.doc_id,
                    PACKED_VECTOR: packed[number],
                    "analysed": analysed(sentence_text(article, span)),
                }
            )
            number += 1
    return rows


def chunk_from_row(row: dict[str, Any], article: Article) -> Chunk:
    """A :class:`Chunk` from its ``chunks`` row and its article."""
    offsets = list(row["sentences"])
    spans = tuple(Span(int(offsets[i]), int(offsets[i + 1])) for i in range(0, len(offsets), 2))
    start, end = int(row["start"]), int(row["end"])
    return Chunk(
        chunk_id=row["chunk_id"],
        doc_id=row["doc_id"],
        text=article.text[start:end],
        start=start,
        end=end,
        sentences=spans,
    )


def quoted(values: Iterable[str]) -> str:
    """A Milvus list literal of strings: ``["a", "b"]``."""
    return json.dumps(list(values))
