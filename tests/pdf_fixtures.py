"""Small PDFs made in the test with fpdf2 (a dev dependency): a two-page press release, a scan."""

from __future__ import annotations

from datetime import UTC, datetime

PRESS_RELEASE_TITLE = "Quenton council opens the Zorblat bridge"
PAGE_ONE = (
    "The Zorblat bridge in Quenton opened to traffic on 3 March 2021 after four years of work by the "
    "regional council and its engineers, who said the design was the first of its kind in the region."
)
PAGE_ONE_SECOND = "Engineers said the bridge carries two railway lines and a footpath."
PAGE_TWO = (
    "The mayor of Quenton, Ilse Varnhagen, said the toll for cars will be two euros from April, and that "
    "cyclists will cross the Zorblat bridge for free."
)
# What ingestion makes of it: the headline, then one paragraph per printed paragraph.
PRESS_RELEASE_TEXT = f"{PRESS_RELEASE_TITLE}\n\n{PAGE_ONE}\n\n{PAGE_ONE_SECOND}\n\n{PAGE_TWO}"
PAGE_TWO_START = PRESS_RELEASE_TEXT.index(PAGE_TWO)
CREATED = datetime(2021, 3, 4, 10, 0, tzinfo=UTC)


def press_release_pdf() -> bytes:
    """Two pages: the headline and two paragraphs (the first wraps over two lines), then one
    paragraph on page 2; a page number at the foot of each page; a junk metadata title."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Microsoft Word - release_final.docx")
    pdf.set_author("Quenton Press Office")
    pdf.set_creation_date(CREATED)
    pdf.set_auto_page_break(False)
    flow = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, PRESS_RELEASE_TITLE, **flow)
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGE_ONE, **flow)
    pdf.ln(4)
    pdf.multi_cell(0, 6, PAGE_ONE_SECOND, **flow)
    pdf.set_y(-20)
    pdf.cell(0, 6, "1", align="C")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, PAGE_TWO, **flow)
    pdf.set_y(-20)
    pdf.cell(0, 6, "2", align="C")
    return bytes(pdf.output())


def scanned_pdf() -> bytes:
    """A page with a drawing and no text layer, as a scanner makes."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())
