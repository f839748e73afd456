"""Ranking the chunks of a milvus-backed index: candidates, signals and fusion, as the local
backend's ``IndexContents.rank`` does them (see ``rag.index.milvus.index``)."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from rag.index.filters import Filter
from rag.index.fusion import FusionSettings, Signal, fuse
from rag.index.milvus import rows as milvus_rows
from rag.types import Article, Hit

#: Most rows one Milvus search or query returns.
MAX_RESULTS = 16_384
#: Round trips of one search sent at the same time.
CONCURRENT_CALLS = 3


class ChunkRanker:
    """Ranks the chunks in one index's collections (``names``: articles, chunks, sentences);
    ``article`` looks an article up by id (the index's cached lookup)."""

    def __init__(self, client: object, names: dict[str, str], article: Callable[[str], Article]) -> None:
        self.client: Any = client
        self.names = names
        self.article = article
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

    def bm25(self, collection: str, words: str, limit: int, expression: str) -> dict[int, float]:
        """Row key -> BM25 score (its magnitude: Milvus Lite negates them) of the best ``limit``."""
        if not words or limit < 1:
            return {}
        found = self.client.search(
            collection,
            data=[words],
            anns_field="sparse",
            limit=min(limit, MAX_RESULTS),
            filter=expression,
            search_params={"metric_type": "BM25"},
            output_fields=["chunk"] if collection == self.names["sentences"] else [],
        )[0]
        return {int(hit["id"]): abs(float(hit["distance"])) for hit in found}

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
        )
        bm25 = self.bm25(chunks, words, fusion.candidates, expression)
        dense = dense_call.result()[0]
        rows = list(dict.fromkeys([int(hit["id"]) for hit in dense] + list(bm25)))
        if not rows:
            return []
        missing = [row for row in rows if row not in bm25]
        missing_call = self.pool.submit(self.bm25, chunks, words, len(missing), f"id in {missing}")
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
        members = self.client.query(
            sentences, filter=f"chunk in {rows}", output_fields=["chunk", "vector"], limit=MAX_RESULTS
        )
        if missing:
            bm25.update(missing_call.result())
        position = {row: number for number, row in enumerate(rows)}
        owners = np.array([position[int(member["chunk"])] for member in members], dtype=np.int64)
        cosine = np.full(len(rows), -np.inf, dtype=np.float32)
        if len(members):
            vectors = np.array([member["vector"] for member in members], dtype=np.float32)
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
        return self.hits([rows[i] for i in order], fused[order], signals, order, k)

    def hits(
        self,
        keys: list[int],
        scores: np.ndarray,
        signals: dict[Signal, np.ndarray],
        order: np.ndarray,
        k: int,
    ) -> list[Hit]:
        """Hits for the best ``k`` of ``keys`` whose article is (still) there."""
        wanted = keys[: k * 2]
        found = {
            int(row["id"]): row
            for row in self.client.get(
                self.names["chunks"],
                ids=wanted,
                output_fields=["chunk_id", "doc_id", "start", "end", "sentences"],
            )
        }
        hits: list[Hit] = []
        for number, key in enumerate(wanted):
            row = found.get(key)
            if row is None:
                continue
            try:
                article = self.article(row["doc_id"])
            except KeyError:  # being added or removed by another writer
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
