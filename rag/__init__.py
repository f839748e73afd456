"""Question answering over news articles: extractive answers with exact citations.

Public API::

    import rag
    index = rag.build_index(["seeds/"], "indexes/default")
    answer = rag.ask("Who did Wang Yi meet in Pyongyang?", index=index)
    answer.text, answer.citations[0].title
"""

from importlib.metadata import PackageNotFoundError, version

from rag.chunk import ChunkSettings, chunk_article
from rag.index import (
    AddReport,
    Filter,
    FusionSettings,
    Index,
    IndexCorruptError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    build_index,
    load_index,
)
from rag.ingest import IngestError, load_articles
from rag.qa import QA, ask, default_index
from rag.types import Answer, Article, Chunk, Citation, Hit, Span

try:
    __version__ = version("rag-news")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "QA",
    "AddReport",
    "Answer",
    "Article",
    "Chunk",
    "ChunkSettings",
    "Citation",
    "Filter",
    "FusionSettings",
    "Hit",
    "Index",
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IngestError",
    "Span",
    "ask",
    "build_index",
    "chunk_article",
    "default_index",
    "load_articles",
    "load_index",
]
