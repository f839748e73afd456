"""Safe defaults: nothing is unpickled, index files are plain data, uploads cannot leave
their folder, article text is never markup."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from hardening_helpers import HashingEmbedder, numbered_article

from rag.index import build_index, store

REPO = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "bad_inputs"
CODE_FOLDERS = ("rag", "benchmarks")
UNSAFE_LOADING = re.compile(
    r"\bimport (c?pickle|dill|cloudpickle|joblib|shelve|marshal)\b"
    r"|\bfrom (c?pickle|dill|cloudpickle|joblib|shelve|marshal) import\b"
    r"|allow_pickle\s*=\s*True"
    r"|weights_only\s*=\s*False"
    r"|\bread_pickle\("
    r"|\byaml\.load\((?![^)]*Loader\s*=\s*yaml\.SafeLoader)"
    r"|\btorch\.load\((?![^)]*weights_only\s*=\s*True)"
)


def python_files() -> list[Path]:
    files = [REPO / "app.py"]
    for folder in CODE_FOLDERS:
        files += sorted((REPO / folder).rglob("*.py")) if (REPO / folder).is_dir() else []
    return [path for path in files if path.is_file()]


def test_no_pickle_or_other_code_loading_deserialisers_in_the_code() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in python_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if UNSAFE_LOADING.search(line)
    ]
    assert offenders == []


def test_index_folder_holds_only_plain_data(tmp_path: Path) -> None:
    build_index([numbered_article(n) for n in range(3)], tmp_path, embedder=HashingEmbedder())
    folder = store.snapshot_path(tmp_path)
    suffixes = {path.suffix for path in folder.rglob("*") if path.is_file()}
    assert suffixes <= {".json", ".jsonl", ".npy", ".faiss"}
    for path in folder.rglob("*.npy"):
        array = np.load(path, allow_pickle=False)  # raises on an object (pickled) array
        assert array.dtype != object
    for path in folder.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


TRAVERSAL_NAMES = [
    "../../x.txt",
    "..\\..\\x.txt",
    "/etc/x.txt",
    "uploads/../../../x.txt",
    "C:\\Windows\\x.txt",
    "....//....//x.txt",
    "%2e%2e%2fx.txt",
    "x.txt\x00.txt",
    ".. .txt",
]


@pytest.mark.parametrize("name", TRAVERSAL_NAMES)
def test_an_upload_name_cannot_leave_the_uploads_folder(tmp_path: Path, name: str) -> None:
    from rag.ui.library import UploadError, store_upload

    source = tmp_path / "incoming.bin"
    source.write_text("Storm closes pass\n\nA storm closed the mountain pass on Friday.\n", encoding="utf-8")
    folder = tmp_path / "deep" / "er" / "uploads"
    try:
        stored = store_upload(source, name, folder)
    except UploadError as error:
        assert repr(name) in str(error) or "unsupported file type" in str(error)
        stored = None
    if stored is not None:
        assert stored.resolve().is_relative_to(folder.resolve())
        assert stored.suffix == ".txt" and ".." not in stored.relative_to(folder).parts
    outside = [
        p for p in tmp_path.rglob("*") if p.is_file() and not p.resolve().is_relative_to(folder.resolve())
    ]
    assert outside == [source]


def test_article_markup_reaches_the_page_as_inert_text() -> None:
    from rag.ingest import load_articles
    from rag.ui.text import escape_text

    [article] = load_articles([BAD / "markup_and_instructions.txt"]).articles
    shown = escape_text(article.text)
    assert not set(shown.replace("<br>", "")) & set("<>*[]`\"'")
    assert html.unescape(shown.replace("<br>", "\n")) == article.text
