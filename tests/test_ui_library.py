"""The side panel's article library: safe upload names, one-file-at-a-time adds, deletes."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.embed import Embedder
from rag.index import Index
from rag.types import Article
from rag.ui import library

_WORD = re.compile(r"\w+")


class WordHashEmbedder(Embedder):
    """Bag of hashed words, normalized: no model to load."""

    model_name = "test/word-hash"
    dimension = 16

    def encode(self, texts: Sequence[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = np.full((len(texts), self.dimension), 1e-3, dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                vectors[row, hashlib.md5(word.encode()).digest()[0] % self.dimension] += 1.0
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def index(tmp_path) -> Index:
    return Index(tmp_path / "index", embedder=WordHashEmbedder())


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


ARTICLE = "# Harbour reopens\n\nThe harbour of Dover reopened on Monday after two weeks of repairs.\n"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd.md", ("passwd", ".md")),
        ("..\\..\\evil  name!.MD", ("evil name", ".md")),
        ("news report (1).html", ("news report 1", ".html")),
        ("Zürich_2019.txt", ("Zürich_2019", ".txt")),
        (".hidden.jsonl", ("hidden", ".jsonl")),
        ("%%%.txt", ("upload", ".txt")),
    ],
)
def test_sanitize_filename_keeps_names_inside_the_folder(name, safe):
    assert library.sanitize_filename(name) == safe


def test_sanitize_filename_rejects_unsupported_types():
    with pytest.raises(library.UploadError, match=r"'photo.png': unsupported file type '.png'"):
        library.sanitize_filename("photo.png")


def test_store_upload_names_by_content_and_stays_in_the_folder(tmp_path):
    source = write(tmp_path / "in", "report.md", ARTICLE)
    folder = tmp_path / "uploads"
    stored = library.store_upload(source, "../../report.md", folder)
    digest = hashlib.sha256(ARTICLE.encode()).hexdigest()[: library.HASH_LENGTH]
    assert stored == folder / digest / "report.md"
    assert stored.read_text(encoding="utf-8") == ARTICLE
    assert library.store_upload(source, "report.md", folder) == stored
    assert [path.relative_to(folder) for path in folder.rglob("*")] == [
        Path(digest),
        Path(digest, "report.md"),
    ]


def test_add_uploads_indexes_good_files_and_reports_bad_ones(index, tmp_path):
    incoming = tmp_path / "in"
    good = write(incoming, "harbour.md", ARTICLE)
    empty = write(incoming, "empty.txt", "")
    image = write(incoming, "photo.png", "not an article")
    folder = tmp_path / "uploads"
    steps = []
    summary = library.add_uploads(
        index,
        [(good, "harbour.md"), (empty, "empty.txt"), (image, "photo.png")],
        folder,
        progress=lambda done, total, name: steps.append((done, total, name)),
    )
    assert [outcome.ok for outcome in summary.outcomes] == [True, False, False]
    assert [article.title for article in index.articles()] == ["Harbour reopens"]
    assert summary.outcomes[1].problems == ("empty.txt: file is empty",)
    assert summary.outcomes[2].problems[0].startswith("'photo.png': unsupported file type '.png'")
    assert steps == [(0, 3, "harbour.md"), (1, 3, "empty.txt"), (2, 3, "photo.png"), (3, 3, "done")]
    assert [path.name for path in folder.glob("*/*")] == ["harbour.md"]  # bad files leave no trace
    shown = html.unescape(library.summary_html(summary))
    assert '<li class="rag-status-ok">harbour.md: added 1 article (Harbour reopens)</li>' in shown
    assert '<li class="rag-status-error">empty.txt: file is empty</li>' in shown


def test_a_bad_file_leaves_the_index_unchanged(index, tmp_path):
    library.add_uploads(index, [(write(tmp_path, "a.md", ARTICLE), "a.md")], tmp_path / "uploads")
    before = (index.articles(), len(index), index.vectors.copy())
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"\x00\x01\x02" * 100)
    summary = library.add_uploads(index, [(binary, "b.txt")], tmp_path / "uploads")
    assert summary.outcomes[0].problems == ("b.txt: looks like a binary file, not text",)
    assert (index.articles(), len(index)) == before[:2]
    assert np.array_equal(index.vectors, before[2])


def test_uploading_the_same_article_twice_reports_a_duplicate(index, tmp_path):
    source = write(tmp_path, "a.md", ARTICLE)
    library.add_uploads(index, [(source, "a.md")], tmp_path / "uploads")
    summary = library.add_uploads(index, [(source, "a.md")], tmp_path / "uploads")
    assert [len(summary.outcomes[0].added), len(summary.outcomes[0].duplicates)] == [0, 1]
    assert len(index.articles()) == 1


def test_remove_articles_deletes_the_uploaded_file_with_its_last_article(index, tmp_path):
    folder = tmp_path / "uploads"
    library.add_uploads(index, [(write(tmp_path, "a.md", ARTICLE), "a.md")], folder)
    doc_id = index.articles()[0].doc_id
    removed = library.remove_articles(index, [doc_id, "no-such-id"], folder)
    assert [article.doc_id for article in removed] == [doc_id]
    assert index.articles() == []
    assert list(folder.iterdir()) == []


def test_article_rows_and_choices_hide_teasers_on_request():
    articles = [
        Article(doc_id="a", title="Main story", text="x", source="Herald", published="2019-09-04"),
        Article(doc_id="t", title="Other story", text="y", kind="teaser"),
    ]
    assert library.article_rows(articles) == [
        ["Main story", "Herald", "4 Sep 2019", "article"],
        ["Other story", "", "", "teaser"],
    ]
    assert library.article_rows(articles, show_teasers=False) == [
        ["Main story", "Herald", "4 Sep 2019", "article"]
    ]
    assert library.article_choices(articles, show_teasers=False) == [("Main story — Herald", "a")]
