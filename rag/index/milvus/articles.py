"""Reading the ``articles`` collection: articles by id (cached, fetched by primary key) and the list.

An article is stored in rows keyed ``<doc_id>#<part>`` (``schema``). Looking them up by those keys
is a primary-key fetch, which a Milvus server and Milvus Lite both answer without scanning the
collection; a filter on ``doc_id`` makes Milvus Lite evaluate every row (about a second per lookup
at 100k articles). The parts of every article wanted go out in one call.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any

from rag.index.milvus import rows as milvus_rows
from rag.index.milvus.search import MAX_RESULTS
from rag.types import Article

#: Articles kept in memory for citations and hits (most recently used).
ARTICLE_CACHE_SIZE = 1024
#: Part keys asked for per article and call (an article of up to 4 x 16,000 characters: one call).
PARTS_PER_CALL = 4
FIELDS = ["doc_id", "part", "added", "meta", "text"]


class ArticleStore:
    """The articles of one collection ``name``, with a most-recently-used cache that the owner
    clears when the index's contents change."""

    def __init__(self, client: Any, name: str, cache_size: int = ARTICLE_CACHE_SIZE) -> None:
        if cache_size < 1:
            raise ValueError(f"cache_size must be >= 1, got {cache_size}")
        self.client = client
        self.name = name
        self.cache_size = cache_size
        self._cache: OrderedDict[str, Article] = OrderedDict()

    def clear(self) -> None:
        self._cache.clear()

    def get_many(self, doc_ids: Iterable[str]) -> dict[str, Article]:
        """The articles of ``doc_ids`` that are there, by id (one round trip for those not cached)."""
        wanted = list(dict.fromkeys(doc_ids))
        found: dict[str, Article] = {}
        for doc_id in wanted:
            cached = self._cache.get(doc_id)
            if cached is not None:
                self._cache.move_to_end(doc_id)
                found[doc_id] = cached
        fetched = self._fetch([doc_id for doc_id in wanted if doc_id not in found])
        for article in fetched:
            found[article.doc_id] = article
            self._cache[article.doc_id] = article
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return found

    def _fetch(self, doc_ids: list[str]) -> list[Article]:
        """Rows by primary key, ``PARTS_PER_CALL`` parts at a time, until each article's last part."""
        rows: list[dict[str, Any]] = []
        start = {doc_id: 0 for doc_id in doc_ids}
        while start:
            keys = [
                f"{doc_id}#{part}"
                for doc_id, first in start.items()
                for part in range(first, first + PARTS_PER_CALL)
            ]
            got = self.client.get(self.name, ids=keys, output_fields=FIELDS)
            rows += got
            parts = Counter(row["doc_id"] for row in got)
            start = {
                doc_id: first + PARTS_PER_CALL
                for doc_id, first in start.items()
                if parts[doc_id] == PARTS_PER_CALL
            }
        return milvus_rows.articles_from_rows(rows)

    def has(self, doc_id: str) -> bool:
        return bool(self.client.get(self.name, ids=[f"{doc_id}#0"], output_fields=["doc_id"]))

    def all(self) -> list[Article]:
        """Every article, in the order they were added."""
        found = self.client.query(self.name, filter="part >= 0", output_fields=FIELDS, limit=MAX_RESULTS)
        if len(found) == MAX_RESULTS:  # more than one query returns: page through them all
            iterator = self.client.query_iterator(
                self.name, batch_size=1000, filter="part >= 0", output_fields=FIELDS
            )
            found = []
            try:
                while batch := iterator.next():
                    found.extend(batch)
            finally:
                iterator.close()
        return milvus_rows.articles_from_rows(found)
