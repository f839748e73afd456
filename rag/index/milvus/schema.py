"""The Milvus collections of one index: names, fields, indexes, and connecting.

Three collections per index, named ``<prefix>_articles``, ``<prefix>_chunks`` and
``<prefix>_sentences``:

``chunks`` (one row per chunk; what the search ranks)
    ``id`` INT64 primary key (63 bits of SHA-256 of the chunk id, so re-adding an article
    upserts the same rows), ``chunk_id``, ``doc_id``, ``source`` (case-folded), ``kind``,
    ``published`` (``YYYYMMDD``, 0 when unknown; the filters' fields), ``start``/``end`` (offsets
    into the article), ``sentences`` (the chunk's sentence offsets, flattened), ``vector`` (the
    normalized mean of its sentence vectors; ANN candidates), ``analysed`` (headline + text as
    our own BM25 tokenizer and stemmer left it, so Milvus Lite's and a server's ``standard``
    analyzer see the same words) and ``sparse`` (Milvus's BM25 function over ``analysed``).
``sentences`` (one row per sentence of a chunk; max-sim, sentence BM25, the answerer's vectors)
    ``id`` INT64 primary key (of chunk id and position), ``chunk`` (the chunk's ``id``),
    ``position``, ``doc_id``, ``packed_vector`` (the unit-length vector as float16, the precision
    the local backend keeps, little-endian, base64: a VARCHAR, because these vectors are fetched by
    chunk and never searched by similarity, and a string costs Milvus Lite a fraction of a
    ``FLOAT_VECTOR``'s work to insert and to return), ``analysed``/``sparse`` as above (``sparse``
    is the collection's vector field).
``articles`` (the texts citations quote)
    ``key`` ``<doc_id>#<part>`` primary key, ``doc_id``, ``part``, ``added`` (ns, for the order
    of the article list), ``meta`` (JSON: title, source, published, url, path, kind; part 0),
    ``text`` (at most ``TEXT_PART_CHARS`` characters per row: VARCHAR holds 65,535 bytes), and
    ``marker``, a constant 2-d vector because Milvus wants one vector field per collection.

Vector indexes: chunk vectors get ``AUTOINDEX`` with inner product (Milvus Lite and a server
build HNSW) unless ``MilvusSettings.index_type`` names another (``IVF_SQ8``, ``DISKANN`` for
10^8 rows); the articles' never-searched marker gets ``FLAT`` (nothing to build); scalar
``INVERTED`` indexes on ``doc_id``, ``source``, ``kind``, ``chunk`` and ``published`` keep
filtered searches cheap.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rag.index import store
from rag.index.sparse import SparseSettings
from rag.index.store import IndexCorruptError, IndexMismatchError, IndexNotFoundError

#: The index folder's record of a milvus-backed index (a local index keeps its manifests in snapshots).
MANIFEST = "manifest.json"
MILVUS_EXTRA_HINT = "the milvus backend needs the optional packages: pip install -e '.[milvus]'"
TOKEN_ENV = "MILVUS_TOKEN"
#: Characters of article text per ``articles`` row (4 bytes each at most in UTF-8: < 65,535).
TEXT_PART_CHARS = 16_000
ID_LENGTH = 256
MAX_ANALYSED_CHARS = 65_000
MAX_SENTENCES_PER_CHUNK = 2048
MARKER = [1.0, 0.0]
#: The sentences' vector field (see the module docstring); collections without it are an older layout.
PACKED_VECTOR = "packed_vector"


def packed_vector_chars(dimension: int) -> int:
    """Characters of one base64-encoded float16 vector of ``dimension`` values."""
    return 4 * -(-2 * dimension // 3)


@dataclass(frozen=True)
class MilvusSettings:
    """Where an index's collections live.

    Attributes:
        uri: a Milvus Lite file (``./news.db``, embedded in this process) or a server
            (``http://host:19530``); the token, if any, comes from ``$MILVUS_TOKEN``.
        prefix: collection name prefix (several indexes can share one server).
        index_type: the chunk vectors' index (``AUTOINDEX``; a server also takes ``HNSW``, ``IVF_SQ8``, ``DISKANN``).
    """

    uri: str
    prefix: str = "rag"
    index_type: str = "AUTOINDEX"

    def __post_init__(self) -> None:
        if not self.uri:
            raise ValueError("milvus uri is empty: give a Lite file (./news.db) or http://host:19530")
        if not self.prefix.replace("_", "").isalnum():
            raise ValueError(f"collection prefix must be letters, digits and _, got {self.prefix!r}")

    @property
    def is_lite(self) -> bool:
        return not self.uri.startswith(("http://", "https://", "tcp://", "grpc://", "unix:"))

    def resolved(self) -> MilvusSettings:
        """These settings with a Lite file's path made absolute (the manifest must not depend on
        the directory the index was built from)."""
        if not self.is_lite:
            return self
        return MilvusSettings(str(Path(self.uri).expanduser().resolve()), self.prefix, self.index_type)

    def collection(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def connect(settings: MilvusSettings) -> Any:
    """A ``MilvusClient`` for ``settings``; raises ImportError naming the extra when pymilvus is missing."""
    try:
        from pymilvus import MilvusClient
    except ImportError as error:
        raise ImportError(MILVUS_EXTRA_HINT) from error
    if settings.is_lite:
        from rag.index.milvus import lite

        lite.install()  # Lite runs in this process: its BM25 scorers in a tenth of the memory
        Path(settings.uri).parent.mkdir(parents=True, exist_ok=True)
    token = os.environ.get(TOKEN_ENV, "")
    return MilvusClient(uri=settings.uri, token=token) if token else MilvusClient(uri=settings.uri)


def ensure_collections(client: Any, settings: MilvusSettings, dimension: int, sparse: SparseSettings) -> None:
    """Create the three collections (and their indexes) unless they exist; BM25 uses ``sparse``'s
    k1 and b, as the local backend does. Raises IndexMismatchError for an older layout."""
    from pymilvus import DataType, Function, FunctionType

    check_layout(client, settings.collection("sentences"))

    def analysed_fields(schema: Any) -> None:
        schema.add_field(
            "analysed",
            DataType.VARCHAR,
            max_length=65_535,
            enable_analyzer=True,
            enable_match=True,
            analyzer_params={"type": "standard"},
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=["analysed"],
                output_field_names=["sparse"],
            )
        )

    def create(
        name: str, schema: Any, scalars: tuple[str, ...], full_text: bool, vector: tuple[str, str] | None
    ) -> None:
        if client.has_collection(settings.collection(name)):
            return
        indexes = client.prepare_index_params()
        if vector is not None:
            field, index_type = vector
            indexes.add_index(field, index_type=index_type, metric_type="IP")
        if full_text:
            indexes.add_index(
                "sparse",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params={"bm25_k1": sparse.k1, "bm25_b": sparse.b},
            )
        for field in scalars:
            indexes.add_index(field, index_type="INVERTED")
        client.create_collection(
            settings.collection(name), schema=schema, index_params=indexes, consistency_level="Strong"
        )

    chunks = client.create_schema(auto_id=False, enable_dynamic_field=False)
    chunks.add_field("id", DataType.INT64, is_primary=True)
    chunks.add_field("chunk_id", DataType.VARCHAR, max_length=ID_LENGTH)
    chunks.add_field("doc_id", DataType.VARCHAR, max_length=ID_LENGTH)
    chunks.add_field("source", DataType.VARCHAR, max_length=ID_LENGTH)
    chunks.add_field("kind", DataType.VARCHAR, max_length=16)
    chunks.add_field("published", DataType.INT64)
    chunks.add_field("start", DataType.INT64)
    chunks.add_field("end", DataType.INT64)
    chunks.add_field(
        "sentences", DataType.ARRAY, element_type=DataType.INT64, max_capacity=2 * MAX_SENTENCES_PER_CHUNK
    )
    chunks.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    analysed_fields(chunks)
    create(
        "chunks",
        chunks,
        ("doc_id", "source", "kind", "published"),
        full_text=True,
        vector=("vector", settings.index_type),
    )

    sentences = client.create_schema(auto_id=False, enable_dynamic_field=False)
    sentences.add_field("id", DataType.INT64, is_primary=True)
    sentences.add_field("chunk", DataType.INT64)
    sentences.add_field("position", DataType.INT64)
    sentences.add_field("doc_id", DataType.VARCHAR, max_length=ID_LENGTH)
    sentences.add_field(PACKED_VECTOR, DataType.VARCHAR, max_length=packed_vector_chars(dimension))
    analysed_fields(sentences)
    create("sentences", sentences, ("chunk", "doc_id"), full_text=True, vector=None)

    articles = client.create_schema(auto_id=False, enable_dynamic_field=False)
    articles.add_field("key", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH + 16)
    articles.add_field("doc_id", DataType.VARCHAR, max_length=ID_LENGTH)
    articles.add_field("part", DataType.INT64)
    articles.add_field("added", DataType.INT64)
    articles.add_field("meta", DataType.JSON)
    articles.add_field("text", DataType.VARCHAR, max_length=65_535)
    articles.add_field("marker", DataType.FLOAT_VECTOR, dim=len(MARKER))
    create("articles", articles, ("doc_id",), full_text=False, vector=("marker", "FLAT"))
    for name in ("chunks", "sentences", "articles"):
        client.load_collection(settings.collection(name))


def check_layout(client: Any, sentences: str) -> None:
    """Raise IndexMismatchError when the ``sentences`` collection exists in an older layout (its
    vectors a ``FLOAT_VECTOR``): this code cannot read it, and rebuilding fixes it."""
    if not client.has_collection(sentences):
        return
    fields = {field["name"] for field in client.describe_collection(sentences)["fields"]}
    if PACKED_VECTOR not in fields:
        raise IndexMismatchError(
            f"milvus collection {sentences} has an older layout (no {PACKED_VECTOR} field): "
            "rebuild it (rag index SOURCES --backend milvus) with a new --milvus-uri, or drop its collections"
        )


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The milvus manifest of ``index_dir`` (IndexNotFoundError / IndexCorruptError otherwise)."""
    path = index_dir / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(f"no index at {index_dir} (missing {MANIFEST})")
    try:
        manifest = store.read_json(path)
    except (OSError, ValueError) as error:
        raise IndexCorruptError(f"index manifest {path} does not read ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("backend") != "milvus":
        raise IndexCorruptError(f"{path} is not a milvus index manifest")
    return manifest


def is_milvus_index(index_dir: str | Path) -> bool:
    """Whether ``index_dir`` records a milvus-backed index (a manifest at its top)."""
    try:
        return store.read_json(Path(index_dir) / MANIFEST).get("backend") == "milvus"
    except (OSError, ValueError, AttributeError):
        return False
