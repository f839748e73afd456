"""The ``milvus`` backend: Milvus Lite in this process, and ``milvus-lite server`` by URI.

Every test checks the milvus backend against the local one built from the same articles with the
same embedder: same hits in the same order, same answers, same filters.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import rag
from rag.index import Filter, build_index, load_index
from rag.index.store import IndexMismatchError
from rag.types import Article
from tests.index_fakes import HashingEmbedder

pymilvus = pytest.importorskip(
    "pymilvus", reason="the milvus extra is not installed (pip install -e '.[milvus]')"
)

from rag.index.milvus import MilvusIndex, MilvusSettings  # noqa: E402

ARTICLES = [
    Article(
        doc_id="harbour",
        title="Harbour bridge reopens",
        text=(
            "The harbour bridge reopened on Monday after three years of repairs. "
            "Mayor Ana Ruiz cut the ribbon in front of a crowd of two thousand people. "
            "The repairs cost 40 million dollars, the city said."
        ),
        source="City Times",
        published="2024-03-04",
    ),
    Article(
        doc_id="floods",
        title="Floods close the valley road",
        text=(
            "Heavy rain flooded the valley road on Tuesday. "
            "Police closed the road between Arden and Bell until the water falls. "
            "Farmers said their fields were under a metre of water."
        ),
        source="Valley News",
        published="2024-03-05",
    ),
    Article(
        doc_id="chess",
        title="Local girl wins chess final",
        text=(
            "Maya Chen, aged twelve, won the regional chess final on Saturday. "
            "She beat the defending champion in forty moves. "
            "Her coach said she trains two hours a day."
        ),
        source="City Times",
        published="2024-02-24",
    ),
]
QUESTIONS = ("Who cut the ribbon on the bridge?", "Which road did police close?", "Who won the chess final?")


def hits(index, question, **options):
    return [(hit.chunk_id, round(hit.score, 2)) for hit in index.search(question, k=3, **options)]


def assert_same_hits(mine, theirs):
    assert [chunk for chunk, _ in mine] == [chunk for chunk, _ in theirs]
    assert [score for _, score in mine] == pytest.approx([score for _, score in theirs], abs=0.05)


@pytest.fixture
def local_index():
    return build_index(ARTICLES, embedder=HashingEmbedder())


@pytest.fixture
def lite(tmp_path):
    index = build_index(
        ARTICLES, tmp_path / "index", embedder=HashingEmbedder(), milvus=str(tmp_path / "news.db")
    )
    yield index
    index.close()


def test_lite_ranks_and_answers_like_the_local_backend(lite, local_index):
    assert isinstance(lite, MilvusIndex) and lite.backend == "milvus"
    assert len(lite) == len(local_index)
    assert [a.doc_id for a in lite.articles()] == [a.doc_id for a in local_index.articles()]
    for question in QUESTIONS:
        assert_same_hits(hits(lite, question), hits(local_index, question))
        mine, theirs = rag.ask(question, index=lite), rag.ask(question, index=local_index)
        assert (mine.text, mine.citations[0].span) == (theirs.text, theirs.citations[0].span)
    assert lite.passage_frequency("bridges") == local_index.passage_frequency("bridges") == 1


def test_lite_filters_like_the_local_backend(lite, local_index):
    for filters in (
        Filter(sources=("city times",)),
        Filter(since="2024-03-01"),
        Filter(doc_ids=("floods",)),
        Filter(until="2024-03-01", sources=("City Times",)),
    ):
        assert_same_hits(
            hits(lite, "Who won?", filters=filters), hits(local_index, "Who won?", filters=filters)
        )
    with pytest.raises(ValueError, match="unknown source 'Daily Planet'"):
        lite.search("Who won?", filters=Filter(sources=("Daily Planet",)))


def test_lite_counts_passages_holding_a_word_like_the_local_backend(lite, local_index, monkeypatch):
    words = ("road", "the", "chess", "repairs", "zebra", "")
    expected = [local_index.passage_frequency(word) for word in words]
    assert [lite.passage_frequency(word) for word in words] == expected  # BM25 hits, on Lite
    monkeypatch.setattr("rag.index.milvus.index.MAX_RESULTS", 1)  # too many hits: TEXT_MATCH counts
    assert [lite.passage_frequency(word) for word in words] == expected


def test_lite_add_remove_and_reload(lite, tmp_path):
    extra = Article(
        doc_id="zoo", title="Zoo welcomes a panda", text="The zoo welcomed a panda named Bao on Friday."
    )
    report = lite.add([extra])
    assert [a.doc_id for a in report.added] == ["zoo"] and report.embedded > 0
    assert lite.add([extra]).duplicates == [extra]  # already there: nothing written
    local = build_index([*ARTICLES, extra], embedder=HashingEmbedder())
    question = "What did the zoo welcome?"
    on_lite, on_local = rag.ask(question, index=lite), rag.ask(question, index=local)
    assert (on_lite.text, on_lite.score) == (on_local.text, pytest.approx(on_local.score))
    # the added article is searched: its sentence is the answer, or the closest one when the
    # toy hashing embedder leaves the confidence under the threshold
    best = on_lite if on_lite.found else on_lite.alternatives[0]
    assert "panda" in best.sentence
    assert lite.remove(["harbour", "nothing"]) == ["harbour"]
    assert not lite.has_article("harbour")
    assert all(hit.doc_id != "harbour" for hit in lite.search("bridge ribbon", k=5))
    lite.close()
    again = load_index(tmp_path / "index", embedder=HashingEmbedder())  # the folder says milvus
    try:
        assert isinstance(again, MilvusIndex)
        assert sorted(a.doc_id for a in again.articles()) == ["chess", "floods", "zoo"]
        assert again.article("zoo").text == extra.text
    finally:
        again.close()


def test_rebuilding_keeps_unchanged_articles_and_drops_the_rest(tmp_path):
    embedder = HashingEmbedder()
    first = build_index(ARTICLES, tmp_path / "index", embedder=embedder, milvus=str(tmp_path / "news.db"))
    first.close()
    embedded = embedder.encoded
    second = build_index(ARTICLES[:2], tmp_path / "index", embedder=embedder)  # the folder records milvus
    try:
        assert isinstance(second, MilvusIndex)
        assert embedder.encoded == embedded  # nothing new: nothing embedded
        assert sorted(a.doc_id for a in second.articles()) == ["floods", "harbour"]
    finally:
        second.close()


def test_long_article_text_is_stored_in_parts(tmp_path):
    text = " ".join(f"Sentence number {n} says the council met again." for n in range(1200))
    article = Article(doc_id="long", title="Council minutes", text=text)
    index = build_index(
        [article], tmp_path / "index", embedder=HashingEmbedder(), milvus=str(tmp_path / "x.db")
    )
    try:
        assert len(text) > 40_000
        assert index.article("long").text == text
    finally:
        index.close()


def test_sentence_vectors_are_packed_exactly_at_float16():
    from rag.index.milvus.rows import pack_vectors, unpack_vectors

    vectors = np.array([[0.5, -0.25, 1 / 3], [0.0, 1.0, -1.0]], dtype=np.float32)
    packed = pack_vectors(vectors)
    assert len(packed) == 2 and all(text.isascii() for text in packed)
    expected = vectors.astype(np.float16).astype(np.float32)
    assert np.array_equal(unpack_vectors(packed, 3), expected)
    assert unpack_vectors([], 3).shape == (0, 3)


def test_an_older_collection_layout_is_named(tmp_path):
    from pymilvus import DataType

    settings = MilvusSettings(str(tmp_path / "old.db"), prefix="old")
    client = pymilvus.MilvusClient(settings.uri)
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=4)
    client.create_collection(settings.collection("sentences"), schema=schema)
    client.close()
    with pytest.raises(IndexMismatchError, match="old_sentences has an older layout"):
        MilvusIndex(settings, embedder=HashingEmbedder())


def test_settings_are_checked():
    with pytest.raises(ValueError, match="milvus uri is empty"):
        MilvusSettings("")
    with pytest.raises(ValueError, match="collection prefix"):
        MilvusSettings("./x.db", prefix="bad prefix")
    assert not MilvusSettings("http://127.0.0.1:19530").is_lite


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def lite_server(tmp_path):
    """``milvus-lite server`` on 127.0.0.1 (a real server process, reached by URI)."""
    port = _free_port()
    binary = Path(sys.executable).with_name("milvus-lite")
    server = subprocess.Popen(
        [
            str(binary),
            "server",
            "--data-dir",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        assert server.poll() is None, "milvus-lite server exited"
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=30)


WRITER = """
import sys
from rag.index import load_index
from rag.types import Article
from tests.index_fakes import HashingEmbedder
index = load_index(sys.argv[1], embedder=HashingEmbedder())
index.add([Article(doc_id="other-" + sys.argv[2], title="Written elsewhere", text="A second process wrote this story.")])
print(len(index.articles()))
"""


def test_server_by_uri_with_two_writing_processes(lite_server, tmp_path, local_index):
    index = build_index(ARTICLES, tmp_path / "index", embedder=HashingEmbedder(), milvus=lite_server)
    try:
        for question in QUESTIONS:
            assert_same_hits(hits(index, question), hits(local_index, question))
        manifest = json.loads((tmp_path / "index" / "manifest.json").read_text())
        assert manifest["backend"] == "milvus" and manifest["milvus"]["uri"] == lite_server
        environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(tmp_path / "index"), str(number)],
                env=environment,
                stdout=subprocess.PIPE,
                text=True,
            )
            for number in range(2)
        ]
        index.add([Article(doc_id="mine", title="Written here", text="This process wrote this story.")])
        for writer in writers:
            assert writer.wait(timeout=120) == 0
        assert sorted(a.doc_id for a in index.articles()) == sorted(
            [a.doc_id for a in ARTICLES] + ["mine", "other-0", "other-1"]
        )
    finally:
        index.close()


def test_missing_extra_names_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[milvus\]'"):
        build_index(ARTICLES, tmp_path / "index", embedder=HashingEmbedder(), milvus=str(tmp_path / "x.db"))


@pytest.mark.slow
def test_cli_builds_on_milvus_and_the_folder_remembers_it(tmp_path, capsys):
    from rag.cli import main

    folder = tmp_path / "articles"
    folder.mkdir()
    for article in ARTICLES:
        (folder / f"{article.doc_id}.txt").write_text(
            f"{article.title}\n\n{article.text}\n", encoding="utf-8"
        )
    index_dir = tmp_path / "index"
    arguments = ["index", str(folder), "--index", str(index_dir), "--backend", "milvus"]
    assert main([*arguments, "--milvus-uri", str(tmp_path / "news.db")]) == 0
    assert "indexed 3 article(s)" in capsys.readouterr().out
    manifest = json.loads((index_dir / "manifest.json").read_text())
    assert manifest["backend"] == "milvus" and manifest["milvus"]["uri"] == str(tmp_path / "news.db")
    assert main(["ask", "Who won the regional chess final?", "--index", str(index_dir), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert answer["found"] and "Maya Chen" in answer["text"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--backend", "milvus"], "--backend milvus needs --milvus-uri"),
        (["--backend", "local", "--milvus-uri", "x.db"], "--milvus-uri goes with --backend milvus"),
        (["--workers", "0"], "--workers must be >= 1, got 0"),
    ],
)
def test_cli_backend_options_are_checked(tmp_path, arguments, message):
    from rag.cli import main

    with pytest.raises(SystemExit, match=message):
        main(["index", str(tmp_path), "--index", str(tmp_path / "index"), *arguments])
    assert not (tmp_path / "index").exists()
