"""Ranking the chunks of a milvus-backed index: candidates, signals and fusion, as the local
backend's ``IndexContents.rank`` does them (see ``rag.index.milvus.index``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from rag.index.filters import Filter
from rag.index.fusion import FusionSettings, Signal, fuse
from rag.index.milvus import rows as milvus_rows
from rag.index.milvus.schema import PACKED_VECTOR
from rag.types import Article, Hit

#: Most rows one Milvus search or query returns.
MAX_RESULTS = 16_384
#: Round trips of one search sent at the same time.
CONCURRENT_CALLS = 3
#: What the candidate searches return of each chunk: enough for its sentences' keys and its hit.
CHUNK_FIELDS = ["chunk_id", "doc_id", "start", "end", "sentences"]


def packed_vectors(client: Any, collection: str, keys: list[int]) -> dict[int, str]:
    """The packed sentence vectors (``rows.pack_vectors``) of the rows of ``collection`` with these
    primary keys, by key; keys with no row are left out."""
    rows = client.get(collection, ids=keys, output_fields=[PACKED_VECTOR]) if keys else []
    return {int(row["id"]): row[PACKED_VECTOR] for row in rows}


class ChunkRanker:
    """Ranks the chunks in one index's collections (``names``: articles, chunks, sentences);
    ``articles`` looks articles up by id (the index's cached lookup: those that are there).

    Rows are fetched by primary key wherever the keys are known (sentences from their chunk's id
    and sentence count, articles from their ids): Milvus Lite answers a filter by evaluating every
    row of the collection, a primary-key fetch without scanning."""

    def __init__(
        self,
        client: object,
        names: dict[str, str],
        articles: Callable[[Iterable[str]], dict[str, Article]],
    ) -> None:
        self.client: Any = client
        self.names = names
        self.articles = articles
        self.pool = ThreadPoolExecutor(max_workers=CONCURRENT_CALLS, thread_name_prefix="rag-milvus")

    def expression(self, filters: Filter | None) -> str:
        if filters is None:
            return ""
        folded = Filter(
            sources=tuple(source.casefold() for source in filters.sources),
            kinds=filters.kinds,
            since=filters.since,
            until=filters.until,
            doc_ids=filters.doc_ids,
        )
        for source, key in zip(filters.sources, folded.sources, strict=True):
            known = self.client.query(
                self.names["chunks"], filter=f"source == {milvus_rows.quoted([key])[1:-1]}", limit=1
            )
            if not known:
                raise ValueError(f"unknown source {source!r} (no indexed article has it)")
        return folded.to_expression()

    def bm25(
        self, words: str, limit: int, expression: str, fields: dict[int, dict] | None
    ) -> dict[int, float]:
        """Chunk key -> BM25 score (its magnitude: Milvus Lite negates them) of the best ``limit``;
        their ``CHUNK_FIELDS`` go into ``fields`` (``None``: not fetched)."""
        if not words or limit < 1:
            return {}
        found = self.client.search(
            self.names["chunks"],
            data=[words],
            anns_field="sparse",
            limit=min(limit, MAX_RESULTS),
            filter=expression,
            search_params={"metric_type": "BM25"},
            output_fields=CHUNK_FIELDS if fields is not None else [],
        )[0]
        if fields is not None:
            for hit in found:
                fields.setdefault(int(hit["id"]), hit["entity"])
        return {int(hit["id"]): abs(float(hit["distance"])) for hit in found}

    def sentence_vectors(
        self, rows: list[int], fields: dict[int, dict], dimension: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The sentence vectors of chunks ``rows`` (by primary key), and the number of each one's chunk."""
        keys, owners = [], []
        for number, row in enumerate(rows):
            chunk_id, count = fields[row]["chunk_id"], len(fields[row]["sentences"]) // 2
            keys += [milvus_rows.sentence_row_id(chunk_id, position) for position in range(count)]
            owners += [number] * count
        found = packed_vectors(self.client, self.names["sentences"], keys)
        present = [number for number, key in enumerate(keys) if key in found]
        vectors = milvus_rows.unpack_vectors([found[keys[number]] for number in present], dimension)
        return vectors, np.array(owners, dtype=np.int64)[present]

    def rank(
        self, query: np.ndarray, question: str, k: int, fusion: FusionSettings, filters: Filter | None
    ) -> list[Hit]:
        expression = self.expression(filters)
        words = milvus_rows.analysed(question)
        chunks, sentences = self.names["chunks"], self.names["sentences"]
        # Independent round trips go out together (Milvus serves them concurrently).
        dense_call = self.pool.submit(
            self.client.search,
            chunks,
            data=[query.astype(np.float32).tolist()],
            anns_field="vector",
            limit=fusion.candidates,
            filter=expression,
            search_params={"metric_type": "IP"},
            output_fields=CHUNK_FIELDS,
        )
        fields: dict[int, dict] = {}
        bm25 = self.bm25(words, fusion.candidates, expression, fields)
        dense = dense_call.result()[0]
        for hit in dense:
            fields.setdefault(int(hit["id"]), hit["entity"])
        rows = list(dict.fromkeys([int(hit["id"]) for hit in dense] + list(bm25)))
        if not rows:
            return []
        missing = [row for row in rows if row not in bm25]
        missing_call = self.pool.submit(self.bm25, words, len(missing), f"id in {missing}", None)
        sentence_call = None
        if fusion.sentence_bm25_weight > 0 and words:
            sentence_call = self.pool.submit(
                self.client.search,
                sentences,
                data=[words],
                anns_field="sparse",
                limit=MAX_RESULTS,
                filter=f"chunk in {rows}",
                search_params={"metric_type": "BM25"},
                output_fields=["chunk"],
            )
        vectors, owners = self.sentence_vectors(rows, fields, len(query))
        if missing:
            bm25.update(missing_call.result())
        position = {row: number for number, row in enumerate(rows)}
        cosine = np.full(len(rows), -np.inf, dtype=np.float32)
        if len(vectors):
            np.maximum.at(cosine, owners, vectors @ query.astype(np.float32))
        signals: dict[Signal, np.ndarray] = {
            "dense": cosine,
            "bm25": np.array([bm25.get(row, 0.0) for row in rows], dtype=np.float32),
        }
        if fusion.sentence_bm25_weight > 0:
            best = np.zeros(len(rows), dtype=np.float32)
            for hit in sentence_call.result()[0] if sentence_call is not None else []:
                owner = position[int(hit["entity"]["chunk"])]
                best[owner] = max(best[owner], abs(float(hit["distance"])))
            signals["sentence_bm25"] = best
        fused = fuse(signals, fusion)
        order = np.argsort(-fused, kind="stable")
        return self.hits([fields[rows[i]] for i in order], fused[order], signals, order, k)

    def hits(
        self,
        ranked: list[dict],
        scores: np.ndarray,
        signals: dict[Signal, np.ndarray],
        order: np.ndarray,
        k: int,
    ) -> list[Hit]:
        """Hits for the best ``k`` of the ``ranked`` chunks (their ``CHUNK_FIELDS``) whose article
        is (still) there."""
        wanted = ranked[: k * 2]
        articles = self.articles(row["doc_id"] for row in wanted)
        hits: list[Hit] = []
        for number, row in enumerate(wanted):
            article = articles.get(row["doc_id"])
            if article is None:  # being added or removed by another writer
                continue
            chunk = milvus_rows.chunk_from_row(row, article)
            position = int(order[number])
            hits.append(
                Hit(
                    doc_id=chunk.doc_id,
                    chunk_id=chunk.chunk_id,
                    title=article.title,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    score=float(scores[number]),
                    dense_score=float(signals["dense"][position]),
                    bm25_score=float(signals["bm25"][position]),
                )
            )
            if len(hits) == k:
                break
        return hits
