"""The hybrid index on tiny exact corpora: ranking, persistence, incremental updates, errors.

Most tests use :class:`HashingEmbedder` (deterministic, instant) because the model is not
the point; ``test_real_model_*`` runs the packaged MiniLM.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from index_fakes import HashingEmbedder

from rag.chunk import ChunkSettings
from rag.index import (
    FusionSettings,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    build_index,
    load_index,
    store,
)
from rag.index.sparse import SparseIndex
from rag.index.texts import content_hash
from rag.types import Article

CATS = Article(doc_id="cats", title="Cats", text="The cat sat on the warm mat.")
DOGS = Article(doc_id="dogs", title="Dogs", text="Dogs chase the red ball in the park.")
MARKETS = Article(doc_id="markets", title="Markets", text="The stock market fell sharply on Monday.")
PETS = Article(doc_id="pets", title="Pets", text="A cat and a dog played with a ball.")
CORPUS = [CATS, DOGS, MARKETS, PETS]
WEATHER = Article(
    doc_id="weather",
    title="Weather",
    text="Heavy snow closed the mountain roads. Drivers waited for the ploughs overnight.",
)
BM25_ONLY = FusionSettings.single("bm25")


@pytest.fixture
def embedder() -> HashingEmbedder:
    return HashingEmbedder()


def titles(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [hit.title for hit in hits]


def assert_consistent(index) -> None:  # type: ignore[no-untyped-def]
    """Every side of the index holds exactly the listed chunks."""
    size = len(index.chunks)
    assert index.dense.size == index.sparse.size == len(index.ids) == len(index.vectors) == size
    assert (
        index.sentence_sparse.size
        == index.sentence_offsets[-1]
        == sum(len(c.sentences) for c in index.chunks)
    )
    assert {chunk.doc_id for chunk in index.chunks} == {article.doc_id for article in index.articles()}
    # one vector per sentence row, the vector of that sentence's own text (stored as float16)
    texts = [index.article(c.doc_id).text[s.start : s.end] for c in index.chunks for s in c.sentences]
    assert index.sentence_vectors.shape == (len(texts), index.dimension)
    if texts and isinstance(index.embedder, HashingEmbedder):
        expected = HashingEmbedder(dimension=index.dimension).encode(texts)
        np.testing.assert_allclose(np.asarray(index.sentence_vectors, dtype=np.float32), expected, atol=2e-3)
    assert index.sentence_hashes() == [content_hash(text) for text in texts]  # the kept hashes are current


# -- ranking -----------------------------------------------------------------------------


def test_bm25_ranks_tiny_corpus_exactly(embedder):
    index = build_index(CORPUS, embedder=embedder)
    hits = index.search("cat ball park", k=4, fusion=BM25_ONLY)
    # Dogs: ball + park (rare); Pets: cat + ball; Cats: cat; Markets: no query word.
    assert titles(hits) == ["Dogs", "Pets", "Cats", "Markets"]
    assert [hit.bm25_score > 0 for hit in hits] == [True, True, True, False]


def test_fused_search_returns_exact_passages_best_first(embedder):
    index = build_index(CORPUS, embedder=embedder)
    hits = index.search("When did the stock market fall?", k=3)
    assert titles(hits)[0] == "Markets"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert len({hit.chunk_id for hit in hits}) == len(hits)
    for hit in hits:
        assert index.article(hit.doc_id).text[hit.start : hit.end] == hit.text


def test_search_rejects_bad_arguments(embedder):
    index = build_index(CORPUS, embedder=embedder)
    with pytest.raises(ValueError, match="k must be between 1 and 100, got 0"):
        index.search("cat", k=0)
    with pytest.raises(ValueError, match="question is empty"):
        index.search("   ")
    with pytest.raises(TypeError, match="question must be a str, got int"):
        index.search(42)  # type: ignore[arg-type]


def test_one_document_bm25_score_is_positive(embedder):
    # DrQA's small-corpus bug: Robertson IDF of a word in every document is <= 0.
    sparse = SparseIndex()
    sparse.build(["The cat sat on the mat."])
    assert sparse.scores("Where did the cat sit?")[0] > 0
    index = build_index([CATS], embedder=embedder)
    assert index.search("cat", k=1)[0].bm25_score > 0


def test_empty_index_returns_no_hits(embedder):
    assert build_index([], embedder=embedder).search("cat") == []


# -- persistence -------------------------------------------------------------------------


def test_save_load_round_trip(tmp_path, embedder):
    built = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    loaded = load_index(tmp_path / "index", embedder=embedder)
    assert loaded.articles() == built.articles()
    assert loaded.chunks == built.chunks
    assert np.array_equal(loaded.vectors, built.vectors)
    assert loaded.fusion == built.fusion
    for question in ("cat ball park", "When did the stock market fall?"):
        assert [hit.to_dict() for hit in loaded.search(question, k=4)] == [
            hit.to_dict() for hit in built.search(question, k=4)
        ]
    assert_consistent(loaded)


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexNotFoundError, match=r"no index at .*rag index PATH"):
        load_index(tmp_path / "nothing")


def test_model_mismatch_names_both_models(tmp_path):
    build_index(CORPUS, tmp_path / "index", embedder=HashingEmbedder("test/model-a"))
    with pytest.raises(IndexMismatchError, match=r"built with model test/model-a .*uses test/model-b"):
        load_index(tmp_path / "index", embedder=HashingEmbedder("test/model-b"))


def test_dimension_mismatch_names_both_dimensions(tmp_path):
    build_index(CORPUS, tmp_path / "index", embedder=HashingEmbedder(dimension=64))
    with pytest.raises(IndexMismatchError, match=r"\(64 dims\).*\(32 dims\)"):
        load_index(tmp_path / "index", embedder=HashingEmbedder(dimension=32))


def test_chunk_settings_mismatch_names_both_settings(tmp_path, embedder):
    build_index(CORPUS, tmp_path / "index", embedder=embedder)
    with pytest.raises(IndexMismatchError, match=r"'max_tokens': 256.*'max_tokens': 64"):
        load_index(tmp_path / "index", embedder=embedder, chunk_settings=ChunkSettings(max_tokens=64))


def test_interrupted_write_leaves_old_index_loadable(tmp_path, embedder, monkeypatch):
    index = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    live = store.snapshot_path(tmp_path / "index").name

    def crash(self, folder):  # type: ignore[no-untyped-def]
        (folder / self.folder_name).mkdir()
        (folder / self.folder_name / "partial.npy").write_bytes(b"\x93NUMPY")
        raise OSError("disk full")

    monkeypatch.setattr(SparseIndex, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        index.add([WEATHER])
    monkeypatch.undo()
    assert store.snapshot_path(tmp_path / "index").name == live
    assert [path.name for path in (tmp_path / "index").glob("snap-*")] == [live]
    reloaded = load_index(tmp_path / "index", embedder=embedder)
    assert [article.doc_id for article in reloaded.articles()] == ["cats", "dogs", "markets", "pets"]
    assert_consistent(reloaded)


@pytest.mark.parametrize(
    "damage",
    [
        "dense.faiss",
        "embeddings.npy",
        "ids.npy",
        "chunks.json",
        "chunk_spans.npy",
        "sentence_counts.npy",
        "sentence_spans.npy",
        "manifest.json",
        "bm25",
        "bm25_sentences",
    ],
)
def test_truncated_file_gives_index_corrupt_error(tmp_path, embedder, damage):
    build_index(CORPUS, tmp_path / "index", embedder=embedder)
    target = store.snapshot_path(tmp_path / "index") / damage
    files = sorted(path for path in target.rglob("*.npy")) if target.is_dir() else [target]
    for path in files:
        path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(IndexCorruptError, match=r"rag index --rebuild"):
        load_index(tmp_path / "index", embedder=embedder)


def test_chunks_listing_fewer_rows_than_vectors_is_corrupt(tmp_path, embedder):
    build_index(CORPUS, tmp_path / "index", embedder=embedder)
    chunks = store.snapshot_path(tmp_path / "index") / "chunks.json"
    table = json.loads(chunks.read_text(encoding="utf-8"))
    table = {column: values[:-1] for column, values in table.items()}
    chunks.write_text(json.dumps(table), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"columns differ in length"):
        load_index(tmp_path / "index", embedder=embedder)


def test_chunk_offsets_outside_their_article_are_corrupt(tmp_path, embedder):
    build_index(CORPUS, tmp_path / "index", embedder=embedder)
    bounds_file = store.snapshot_path(tmp_path / "index") / "chunk_spans.npy"
    bounds = np.load(bounds_file)
    bounds[0, 1] = 10**9
    np.save(bounds_file, bounds)
    with pytest.raises(IndexCorruptError, match=r"outside their article"):
        load_index(tmp_path / "index", embedder=embedder)


def test_snapshot_in_the_older_chunks_jsonl_layout_still_loads(tmp_path, embedder):
    built = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    folder = store.snapshot_path(tmp_path / "index")
    rows = [
        {**chunk.to_dict(), "hash": digest} for chunk, digest in zip(built.chunks, built.hashes, strict=True)
    ]
    store.write_jsonl(folder / "chunks.jsonl", rows)
    for name in ("chunks.json", "chunk_spans.npy", "sentence_counts.npy", "sentence_spans.npy"):
        (folder / name).unlink()
    reloaded = load_index(tmp_path / "index", embedder=embedder)
    assert reloaded.chunks == built.chunks and reloaded.hashes == built.hashes


def test_snapshot_without_sentence_bm25_still_loads(tmp_path, embedder):
    built = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    folder = store.snapshot_path(tmp_path / "index")
    for path in sorted((folder / "bm25_sentences").iterdir()):
        path.unlink()
    (folder / "bm25_sentences").rmdir()
    loaded = load_index(tmp_path / "index", embedder=embedder)
    assert [hit.to_dict() for hit in loaded.search("cat ball park", k=4)] == [
        hit.to_dict() for hit in built.search("cat ball park", k=4)
    ]


# -- incremental updates -----------------------------------------------------------------


def test_add_then_remove_keeps_both_sides_consistent(tmp_path, embedder):
    index = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    report = index.add([WEATHER])
    assert [article.doc_id for article in report.added] == ["weather"]
    assert_consistent(index)
    assert index.search("snow closed mountain roads", k=1)[0].doc_id == "weather"

    assert index.remove(["weather", "not-indexed"]) == ["weather"]
    assert_consistent(index)
    for fusion in (None, BM25_ONLY, FusionSettings.single("dense"), FusionSettings(method="rrf")):
        hits = index.search("snow closed mountain roads ploughs", k=10, fusion=fusion)
        assert "weather" not in {hit.doc_id for hit in hits}
        assert len(hits) == len(CORPUS)

    reloaded = load_index(tmp_path / "index", embedder=embedder)
    assert_consistent(reloaded)
    assert [article.doc_id for article in reloaded.articles()] == ["cats", "dogs", "markets", "pets"]
    manifest = json.loads((store.snapshot_path(tmp_path / "index") / "manifest.json").read_text())
    assert manifest["counts"] == {"articles": 4, "chunks": 4}


def test_dense_signal_is_the_best_sentence_cosine(embedder):
    index = build_index([*CORPUS, WEATHER], embedder=embedder)
    query = embedder.encode_query("snow on the mountain roads")
    for hit in index.search("snow on the mountain roads", k=5):
        chunk = next(c for c in index.chunks if c.chunk_id == hit.chunk_id)
        vectors = index.sentence_vectors_of([(chunk.chunk_id, n) for n in range(len(chunk.sentences))])
        assert hit.dense_score == pytest.approx(float((vectors @ query).max()), abs=1e-5)
    weather = next(c for c in index.chunks if c.doc_id == "weather")
    assert len(weather.sentences) == 2
    with pytest.raises(KeyError):
        index.sentence_vectors_of([(weather.chunk_id, 2)])


def test_adding_an_indexed_article_again_is_a_no_op(embedder):
    index = build_index(CORPUS, embedder=embedder)
    report = index.add([CATS])
    assert report.added == [] and [article.doc_id for article in report.duplicates] == ["cats"]
    assert report.embedded == 0 and len(index) == 4


def test_rebuilding_unchanged_corpus_embeds_nothing(tmp_path, embedder):
    build_index(CORPUS, tmp_path / "index", embedder=embedder)
    assert embedder.encoded == 4
    again = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    assert again.last_embedded == 0 and embedder.encoded == 4

    report = again.add([WEATHER])  # one new article of two sentences: only they are embedded
    assert report.embedded == again.last_embedded == 2 and embedder.encoded == 6
    grown = build_index([*CORPUS, WEATHER], tmp_path / "index", embedder=embedder)
    assert grown.last_embedded == 0 and embedder.encoded == 6


def test_sentences_already_indexed_are_reused_after_removals(tmp_path, embedder):
    index = build_index(CORPUS, tmp_path / "index", embedder=embedder)
    copy = Article(doc_id="cats-copy", title="Cats again", text=CATS.text)
    assert index.add([copy]).embedded == 0  # its one sentence is indexed already
    assert index.remove(["cats", "dogs"]) == ["cats", "dogs"]  # rows move: the kept hashes must follow
    assert_consistent(index)
    second = Article(doc_id="markets-copy", title="Markets again", text=MARKETS.text + " " + WEATHER.text)
    assert index.add([second]).embedded == 2 and embedder.encoded == 6  # only the weather sentences
    assert_consistent(index)
    assert_consistent(load_index(tmp_path / "index", embedder=embedder))


# -- the real model ----------------------------------------------------------------------


@pytest.mark.slow
def test_real_model_finds_a_paraphrase_bm25_cannot(tmp_path):
    index = build_index(CORPUS, tmp_path / "index")
    # No content word in common with any passage: only the embedding can find it.
    question = "Which animal rested on a rug?"
    assert index.search(question, k=4, fusion=BM25_ONLY)[0].bm25_score == 0
    assert index.search(question, k=1, fusion=FusionSettings.single("dense"))[0].doc_id == "cats"
    loaded = load_index(tmp_path / "index")
    assert loaded.search("When did shares drop?", k=1)[0].doc_id == "markets"


def test_sentence_signal_is_the_best_sentence_of_each_chunk(embedder):
    article = Article(
        doc_id="snow",
        title="",
        text="Snow fell on the hills. The roads were closed by police. Ploughs cleared the snow at dawn. "
        "Schools opened late on Tuesday.",
    )
    index = build_index([article, MARKETS], embedder=embedder, chunk_settings=ChunkSettings(max_tokens=18))
    assert len(index.chunks) == 4  # three chunks of the snow article, sharing one sentence each
    question = "snow ploughs at dawn"
    sentence_scores = index.sentence_sparse.scores(question)
    rows = np.arange(len(index.chunks))
    expected = [
        max(sentence_scores[index.sentence_offsets[row] : index.sentence_offsets[row + 1]]) for row in rows
    ]
    assert index.best_sentence_bm25(question, rows).tolist() == pytest.approx(expected)
    assert index.best_sentence_bm25(question, rows[::-1]).tolist() == pytest.approx(expected[::-1])
    best = index.search(question, k=1, fusion=FusionSettings.single("sentence_bm25"))[0]
    assert "Ploughs cleared the snow at dawn." in best.text
