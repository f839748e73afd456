"""The corpora the query benchmark runs on: seeds, ~3k real paragraphs, 100k synthetic passages.

- ``seeds``: the repository's ``seeds/`` articles.
- ``3k``: every paragraph of SQuAD dev part A and of the train subset (3,342 articles).
- ``100k``: made from the one-chunk paragraphs of ``3k`` (that stay one chunk when marked). Variant 0 of a paragraph is the
  paragraph itself with its real vector; variant ``j`` has the title ``"<title> (variant
  j)"``, the paragraph's sentences rotated by ``j``, each ending in ``(variant j)`` so no
  two passages share a sentence, and each sentence's real vector plus
  Gaussian noise (cosine to it about 0.96), renormalized. Vectors therefore come from real
  text (clustered like real news would be), without embedding 500k sentences; the sentence
  spans of a rotated paragraph are known, so chunking it skips the sentence splitter.

Built indexes are kept under ``benchmarks/.cache`` and reused while they still load
(their vectors are reused through the index's own embedding cache otherwise).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from speed_common import CACHE, PART_A, ROOT, TRAIN_SUBSET, require

from rag.embed import Embedder
from rag.types import Article, Span

SYNTHETIC_SIZE = 100_000
SYNTHETIC_RECIPE = 3  # part of the folder name: a change here builds a new synthetic index
NOISE_PER_DIMENSION = 0.015  # noise norm 0.015 * sqrt(384) = 0.29: cosine to the real vector ~0.96
NOISE_SEED = 7
SEEDS_INDEX = CACHE / "speed-seeds"
REAL_INDEX = CACHE / "speed-3k"


def synthetic_index_dir(size: int) -> Path:
    return CACHE / f"speed-synthetic-{size}-v{SYNTHETIC_RECIPE}"


def real_articles() -> list[Article]:
    """Part A and train-subset paragraphs, one article each (ids stable across runs)."""
    from rag.eval.squad import load_squad

    articles: dict[str, Article] = {}
    for path in (PART_A, TRAIN_SUBSET):
        for article in load_squad(require(path)).articles:
            articles.setdefault(article.doc_id, article)
    return list(articles.values())


def build_seed_index():  # type: ignore[no-untyped-def]
    from rag.index import build_index

    return build_index([ROOT / "seeds"], SEEDS_INDEX)


def build_real_index():  # type: ignore[no-untyped-def]
    """The ~3k index (embeds only paragraphs not already in its folder)."""
    from rag.index import build_index

    return build_index(real_articles(), REAL_INDEX, progress=False)


class LookupEmbedder(Embedder):
    """Returns vectors registered for exact texts; anything else is a bug in the benchmark."""

    backend = "lookup"

    def __init__(self, vectors: dict[str, np.ndarray], model_name: str, dimension: int) -> None:
        self.vectors = vectors
        self.model_name = model_name
        self.dimension = dimension

    def encode(
        self, texts: Sequence[str], batch_size: int | None = None, progress: bool = False
    ) -> np.ndarray:
        missing = [text for text in texts if text not in self.vectors]
        if missing:
            raise KeyError(f"no synthetic vector for {len(missing)} texts, e.g. {missing[0][:80]!r}")
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.vectors[text] for text in texts]).astype(np.float32)


def _variant_text(article: Article, spans: Sequence[Span], variant: int) -> tuple[str, list[Span]]:
    """The paragraph's sentences rotated by ``variant``, each marked ``(variant N)`` so that no
    two variants share a sentence (the answerer caches sentence vectors: shared sentences would
    make it look faster than it is on 100k distinct passages)."""
    sentences = [f"{article.text[span.start : span.end]} (variant {variant})" for span in spans]
    turn = variant % len(sentences)
    order = sentences[turn:] + sentences[:turn]
    text, new_spans, cursor = "", [], 0
    for sentence in order:
        if text:
            text += " "
            cursor += 1
        new_spans.append(Span(cursor, cursor + len(sentence)))
        text += sentence
        cursor += len(sentence)
    return text, new_spans


@contextmanager
def known_sentences(spans_by_text: dict[str, list[Span]]):  # type: ignore[no-untyped-def]
    """Let ``rag.chunk`` take the sentence spans of texts we built ourselves (others: unchanged)."""
    import rag.chunk

    original = rag.chunk.split_sentences

    def split(text: str) -> list[Span]:
        spans = spans_by_text.get(text)
        return list(spans) if spans is not None else original(text)

    rag.chunk.split_sentences = split
    try:
        yield
    finally:
        rag.chunk.split_sentences = original


def synthetic_bases(  # type: ignore[no-untyped-def]
    real, widest_marker: str = "(variant 99)"
) -> list[tuple[Article, list[Span], np.ndarray]]:
    """The one-chunk paragraphs of the ~3k index ``real`` that stay one chunk when each sentence
    is marked ``widest_marker``: (article, sentence spans, real sentence vectors) each."""
    from rag.chunk import count_wordpieces

    rows_of: dict[str, list[int]] = {}
    for row, chunk in enumerate(real.chunks):
        rows_of.setdefault(chunk.doc_id, []).append(row)
    bases = []
    for article in real.articles():
        rows = rows_of.get(article.doc_id, [])
        if (
            len(rows) == 1
            and real.chunks[rows[0]].text == article.text
            and len(real.chunks[rows[0]].sentences) > 0
        ):
            spans = list(real.chunks[rows[0]].sentences)
            marked = sum(count_wordpieces(f"{article.text[s.start : s.end]} {widest_marker}") for s in spans)
            if marked <= real.chunk_settings.max_tokens - 2:  # every variant stays one chunk
                first = int(real.sentence_offsets[rows[0]])
                vectors = np.asarray(real.sentence_vectors[first : first + len(spans)], dtype=np.float32)
                bases.append((article, spans, vectors))
    return bases


def synthetic_passage(
    base: tuple[Article, list[Span], np.ndarray], variant: int, rng: np.random.Generator
) -> tuple[Article, list[Span], np.ndarray]:
    """Variant ``variant`` of one base paragraph: (article, sentence spans, sentence vectors).
    Variant 0 is the paragraph itself; the others are rotated, marked and noised (module docstring)."""
    article, spans, sentence_vectors = base
    if variant == 0:
        return article, list(spans), sentence_vectors
    text, new_spans = _variant_text(article, spans, variant)
    title = f"{article.title} (variant {variant})"
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16]
    synthetic = Article(doc_id=f"synthetic-{digest}", title=title, text=text, source="synthetic")
    turn = variant % len(spans)
    rotated = np.concatenate([sentence_vectors[turn:], sentence_vectors[:turn]])
    noisy = rotated + rng.normal(0.0, NOISE_PER_DIMENSION, rotated.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return synthetic, new_spans, noisy


def build_synthetic_index(size: int = SYNTHETIC_SIZE):  # type: ignore[no-untyped-def]
    """Build the ``size``-passage synthetic index from the ~3k one (see the module docstring)."""
    from rag.index import build_index, load_index

    real = load_index(REAL_INDEX)
    bases = synthetic_bases(real)
    rng = np.random.default_rng(NOISE_SEED)
    articles: list[Article] = []
    vectors: dict[str, np.ndarray] = {}
    spans_by_text: dict[str, list[Span]] = {}
    for number in range(size):
        synthetic, new_spans, noisy = synthetic_passage(bases[number % len(bases)], number // len(bases), rng)
        vectors.update((synthetic.text[s.start : s.end], v) for s, v in zip(new_spans, noisy, strict=True))
        spans_by_text[synthetic.text] = new_spans
        articles.append(synthetic)
    embedder = LookupEmbedder(vectors, real.model_name, real.dimension)
    with known_sentences(spans_by_text):
        return build_index(articles, synthetic_index_dir(size), embedder=embedder)


def synthetic_chunk_batches(bases: Sequence[tuple[Article, list[Span], np.ndarray]], size: int, batch: int):  # type: ignore[no-untyped-def]
    """``size`` synthetic passages made from ``bases`` (the recipe above; each is one chunk of one
    article), streamed ``batch`` articles at a time as ``(chunked, sentence_vectors)``: ``chunked``
    pairs each article with its one chunk, ``sentence_vectors`` are their sentences' vectors in
    order, float16-rounded as an index keeps them (what ``MilvusIndex.write_rows`` takes). Nothing
    is embedded and no batch outlives its write, so 10^6 passages fit in memory."""
    from rag.types import Chunk

    rng = np.random.default_rng(NOISE_SEED)
    for first in range(0, size, batch):
        chunked, vectors = [], []
        for number in range(first, min(size, first + batch)):
            article, spans, sentence_vectors = synthetic_passage(
                bases[number % len(bases)], number // len(bases), rng
            )
            chunk = Chunk(
                chunk_id=f"{article.doc_id}-0000",  # rag.chunk's id of an article's first chunk
                doc_id=article.doc_id,
                text=article.text,
                start=0,
                end=len(article.text),
                sentences=tuple(spans),
            )
            chunked.append((article, [chunk]))
            vectors.append(sentence_vectors)
        yield chunked, np.concatenate(vectors).astype(np.float16).astype(np.float32)
