"""PDFs: text through pypdf, wrapped lines joined, page starts kept, citations saying "p. 2"."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from index_fakes import HashingEmbedder
from pdf_fixtures import (
    PAGE_ONE,
    PAGE_TWO,
    PAGE_TWO_START,
    PRESS_RELEASE_TEXT,
    PRESS_RELEASE_TITLE,
    press_release_pdf,
    scanned_pdf,
)

from rag.index import Index
from rag.ingest import IngestError, load_articles
from rag.ingest.pdf import load_pdf, page_starts_in, reflow
from rag.qa.citations import cite
from rag.qa.sentences import Candidate
from rag.types import Article, Chunk, Hit, Span
from rag.ui import library
from rag.ui.format import format_citation


@pytest.fixture
def release(tmp_path: Path) -> Path:
    path = tmp_path / "press release.pdf"
    path.write_bytes(press_release_pdf())
    return path


# -- reading -----------------------------------------------------------------------------


def test_press_release_is_one_article_with_its_pages(release: Path) -> None:
    [article] = load_articles([release]).articles
    assert article.title == PRESS_RELEASE_TITLE  # the headline, not the "Microsoft Word - …" metadata
    assert article.text == PRESS_RELEASE_TEXT  # wrapped lines joined, page numbers gone
    assert article.pages == (0, PAGE_TWO_START)
    assert article.published == "2021-03-04"  # no date in the text: the PDF's creation date
    assert article.author == "Quenton Press Office"
    assert article.path == str(release) and article.url is None


def test_page_at_counts_from_one() -> None:
    article = Article(doc_id="d", title="t", text="x" * 30, pages=(0, 10, 10, 25))
    assert [article.page_at(offset) for offset in (0, 9, 10, 24, 25, 29)] == [1, 1, 3, 3, 4, 4]
    assert Article(doc_id="d", title="t", text="x").page_at(0) is None


def test_pages_survive_json_and_old_articles_load() -> None:
    article = Article(doc_id="d", title="t", text="x" * 30, pages=(0, 12))
    assert article.to_dict()["pages"] == [0, 12]
    assert Article.from_dict(article.to_dict()) == article
    old = {"doc_id": "d", "title": "t", "text": "x", "source": None, "path": None, "kind": "article"}
    assert Article.from_dict(old).pages == () and Article.from_dict(old).author is None


def test_reflow_joins_wrapped_lines_and_drops_page_numbers() -> None:
    text, starts = reflow(
        [
            "Short headline here\nA body line that fills the whole measure of the page and\n"
            "Goes on after a capital, then a regio-\nnal word and\nPage 1 of 2",
            "3",
            "the paragraph carried over, ends here.\n- 2 -\nA new one.",
        ]
    )
    assert text == (
        "Short headline here\n"
        "A body line that fills the whole measure of the page and Goes on after a capital, "
        "then a regional word and the paragraph carried over, ends here.\nA new one."
    )
    assert starts == (0, text.index("the paragraph"), text.index("the paragraph"))


def test_page_starts_move_into_the_cleaned_text() -> None:
    text = "Header line\nFirst paragraph.\nSecond paragraph."
    document = "Header line\n\nSecond paragraph."  # cleaning dropped the first paragraph
    assert page_starts_in(document, text, (0, text.index("First"), text.index("paragraph."))) == (
        0,
        document.index("Second"),
        document.index("Second"),
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (scanned_pdf, "the PDF has no text layer (a scanned image?); run OCR on it first (e.g. ocrmypdf)"),
        (
            lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
            "not a readable PDF",
        ),
        (lambda: b"this is not a PDF at all", "not a readable PDF"),
    ],
)
def test_unusable_pdf_is_one_warning_naming_it(tmp_path: Path, content, message: str) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(content())
    result = load_articles([path])
    assert result.articles == []
    [warning] = result.warnings
    assert warning.startswith(f"{path}: ") and message in warning and "\n" not in warning


def test_password_protected_pdf_says_so(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGE_ONE)
    path = tmp_path / "locked.pdf"
    path.write_bytes(bytes(pdf.output()))
    with pytest.raises(IngestError, match=r"locked\.pdf: the PDF is password-protected$"):
        load_pdf(path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.one_of(
        st.binary(max_size=2000), st.binary(max_size=2000).map(lambda tail: b"%PDF-1.7\n" + tail)
    )
)
def test_any_bytes_named_pdf_give_an_article_or_a_warning(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.pdf"
        path.write_bytes(content)
        result = load_articles([path])
        assert result.articles or [warning.startswith(str(path)) for warning in result.warnings] == [True]


# -- citing ------------------------------------------------------------------------------


def _candidate(article: Article, sentence: str) -> Candidate:
    start = article.text.index(sentence)
    span = Span(start, start + len(sentence))
    chunk = Chunk("c", article.doc_id, article.text, 0, len(article.text), (span,))
    hit = Hit(article.doc_id, "c", article.title, article.text, 0, len(article.text), 1.0, 1.0, 1.0)
    return Candidate(article, chunk, hit, 0, span, 0, "", "")


def test_citation_carries_the_page_of_its_span_and_shows_it(release: Path) -> None:
    [article] = load_articles([release]).articles
    candidate = _candidate(article, PAGE_TWO)
    answer = Span(
        PAGE_TWO_START + PAGE_TWO.index("two euros"), PAGE_TWO_START + PAGE_TWO.index(" from April")
    )
    citation = cite(candidate, answer)
    assert citation.page == 2 and citation.to_dict()["page"] == 2
    first = _candidate(article, PAGE_ONE)
    assert cite(first, Span(first.span.start, first.span.start + 11)).page == 1
    html = format_citation(1, citation, "two euros")
    assert "Quenton Press Office" not in html  # the author is metadata, not the source
    assert "p. 2</span>" in html and "p. 2 · press release.pdf" in html


def test_pdf_upload_is_indexed_with_its_pages(tmp_path: Path, release: Path) -> None:
    index = Index(tmp_path / "index", embedder=HashingEmbedder())
    summary = library.add_uploads(index, [(release, "Press release.PDF")], tmp_path / "uploads")
    [outcome] = summary.outcomes
    assert outcome.ok and [article.title for article in outcome.added] == [PRESS_RELEASE_TITLE]
    stored = Index.load(tmp_path / "index", embedder=HashingEmbedder()).articles()
    assert [article.pages for article in stored] == [(0, PAGE_TWO_START)]


def test_scanned_pdf_upload_changes_nothing(tmp_path: Path) -> None:
    index = Index(tmp_path / "index", embedder=HashingEmbedder())
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(scanned_pdf())
    [outcome] = library.add_uploads(index, [(scan, "scan.pdf")], tmp_path / "uploads").outcomes
    assert outcome.problems == (
        "scan.pdf: the PDF has no text layer (a scanned image?); run OCR on it first (e.g. ocrmypdf)",
    )
    assert index.articles() == [] and not any((tmp_path / "uploads").rglob("*.pdf"))


@pytest.mark.slow
def test_question_about_a_pdf_is_answered_with_its_page(tmp_path: Path, release: Path) -> None:
    import rag

    index = rag.build_index([release], tmp_path / "index")
    answer = rag.ask("How much will the toll for cars be?", index=index)
    assert answer.found, answer.message
    assert "two euros" in answer.text
    assert answer.citations[0].page == 2
