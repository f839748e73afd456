"""The ``milvus`` storage backend (optional extra ``.[milvus]``): see ``index`` and ``schema``."""

from rag.index.milvus.index import MilvusIndex
from rag.index.milvus.schema import MANIFEST, MILVUS_EXTRA_HINT, MilvusSettings, is_milvus_index

__all__ = ["MANIFEST", "MILVUS_EXTRA_HINT", "MilvusIndex", "MilvusSettings", "is_milvus_index"]
