"""Weighing a PDF's pages by their content streams, without extracting them."""

from __future__ import annotations

from fpdf import FPDF
from pypdf import PdfReader

from tui.page_weights import content_sizes


def test_a_page_with_more_text_weighs_more(tmp_path):
    document = FPDF()
    document.set_font("helvetica", size=10)
    document.add_page()
    document.cell(text="A title page")
    document.add_page()
    for line in range(60):
        document.cell(
            text=f"Line {line} of a page dense with words, numbers and more words",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    document.add_page()
    document.cell(text="The end")
    path = tmp_path / "uneven.pdf"
    document.output(str(path))

    sizes = content_sizes(PdfReader(path), path.stat().st_size)

    assert sizes is not None and len(sizes) == 3
    assert all(size > 0 for size in sizes)
    assert sizes[1] > 2 * max(sizes[0], sizes[2])  # compressed, so not 60 times


def test_a_reader_that_cannot_list_its_pages_gives_no_weights():
    class Damaged:
        xref = {0: {1: 9}}

        @property
        def pages(self):
            raise ValueError("bad page tree")

    assert content_sizes(Damaged(), 100) is None
