"""Ranking the chunks of a milvus-backed index: candidates, signals and fusion, as the local
backend's ``IndexContents.rank`` does them (see ``rag.index.milvus.index``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rag.index.filters import Filter
from rag.index.fusion import FusionSettings, Signal, fuse
from rag.index.milvus import rows as milvus_rows
from rag.types import Article, Hit

#: Most rows one Milvus search or query returns.
MAX_RESULTS = 16_384


class ChunkRanker:
    """Ranks the chunks in one index's collections (``names``: articles, chunks, sentences);
    ``article`` looks an article up by id (the index's cached lookup)."""

    def __init__(self, client: object, names: dict[str, str], article: Callable[[str], Article]) -> None:
        self.client: Any = client
        self.names = names
        self.article = article

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
        dense = self.client.search(
            chunks,
            data=[query.astype(np.float32).tolist()],
            anns_field="vector",
            limit=fusion.candidates,
            filter=expression,
            search_params={"metric_type": "IP"},
        )[0]
        bm25 = self.bm25(chunks, words, fusion.candidates, expression)
        rows = list(dict.fromkeys([int(hit["id"]) for hit in dense] + list(bm25)))
        if not rows:
            return []
        missing = [row for row in rows if row not in bm25]
        bm25.update(self.bm25(chunks, words, len(missing), f"id in {missing}") if missing else {})
        members = self.client.query(
            sentences, filter=f"chunk in {rows}", output_fields=["chunk", "vector"], limit=MAX_RESULTS
        )
        cosine = dict.fromkeys(rows, -math.inf)
        for member in members:
            value = float(np.asarray(member["vector"], dtype=np.float32) @ query)
            cosine[int(member["chunk"])] = max(cosine[int(member["chunk"])], value)
        signals: dict[Signal, np.ndarray] = {
            "dense": np.array([cosine[row] for row in rows], dtype=np.float32),
            "bm25": np.array([bm25.get(row, 0.0) for row in rows], dtype=np.float32),
        }
        if fusion.sentence_bm25_weight > 0:
            best = dict.fromkeys(rows, 0.0)
            found = (
                self.client.search(
                    sentences,
                    data=[words],
                    anns_field="sparse",
                    limit=max(1, min(len(members), MAX_RESULTS)),
                    filter=f"chunk in {rows}",
                    search_params={"metric_type": "BM25"},
                    output_fields=["chunk"],
                )[0]
                if words
                else []
            )
            for hit in found:
                owner = int(hit["entity"]["chunk"])
                best[owner] = max(best[owner], abs(float(hit["distance"])))
            signals["sentence_bm25"] = np.array([best[row] for row in rows], dtype=np.float32)
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
