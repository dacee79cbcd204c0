"""Weighing a PDF's pages by their content streams and forms, without extracting them."""

from __future__ import annotations

import zlib

from fpdf import FPDF
from pdfs import write_objects
from pypdf import PdfReader

from tui.page_weights import content_sizes


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n" % (dictionary, len(data)) + data + b"\nendstream"


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


def test_a_page_that_draws_a_form_weighs_the_form_and_not_an_image(tmp_path):
    """A form's text is extracted with the page that draws it; an image has none."""
    line = b"BT /F1 9 Tf 10 %d Td (line %d of the form) Tj ET\n"
    text = b"".join(line % (n, n) for n in range(400))
    form = zlib.compress(text)
    image = bytes(range(256)) * 40  # incompressible-looking, as image data is
    many_fonts = b" ".join(b"/F%d 9 0 R" % n for n in range(300))
    draw = b"q 100 0 0 100 0 0 cm /X Do Q"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
        b"/Resources << /XObject << /X 7 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
        b"/Resources << /XObject << /X 8 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R >>",
        _stream(b"", draw),
        _stream(  # its /Subtype past the first 2 KB, as in GeoTopo's largest figure
            b"/Resources << /Font << " + many_fonts + b" >> >> "
            b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Filter /FlateDecode",
            form,
        ),
        _stream(
            b"/Type /XObject /Subtype /Image /Width 64 /Height 160 /ColorSpace /DeviceGray "
            b"/BitsPerComponent 8",
            image,
        ),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path = write_objects(tmp_path / "forms.pdf", objects)

    sizes = content_sizes(PdfReader(path), path.stat().st_size)

    assert sizes is not None
    with_form, with_image, plain = sizes
    assert with_image == plain
    assert with_form >= plain + len(form)


def test_pages_that_inherit_their_resources_all_weigh_the_form(tmp_path):
    line = b"BT /F1 9 Tf 10 %d Td (form line %d) Tj ET\n"
    form = zlib.compress(b"".join(line % (n, n) for n in range(300)))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 "
        b"/Resources << /XObject << /X 7 0 R >> >> >>",
        page,
        page,
        page,
        _stream(b"", b"q /X Do Q"),
        _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Filter /FlateDecode", form),
    ]
    path = write_objects(tmp_path / "inherited.pdf", objects)

    sizes = content_sizes(PdfReader(path), path.stat().st_size)

    assert sizes is not None and len(set(sizes)) == 1
    assert sizes[0] > len(form)


def test_a_page_naming_too_many_xobjects_is_weighed_by_its_content_alone(tmp_path):
    """Looking at thousands of XObjects per page would cost more than the estimate is worth."""
    from tui.page_weights import MOST_XOBJECTS

    many = MOST_XOBJECTS + 1
    names = b" ".join(b"/X%d %d 0 R" % (n, 7 + n) for n in range(many))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R "
        b"/Resources << /XObject << " + names + b" >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
        b"/Resources << /XObject << /X0 7 0 R >> >> >>",
        _stream(b"", b"q /X0 Do Q"),
        _stream(b"", b"q /X0 Do Q"),
    ]
    small_form = _stream(b"/Type /XObject /Subtype /Form /BBox [0 0 9 9]", b"0 0 9 9 re f")
    objects += [small_form] * many
    path = write_objects(tmp_path / "crowded.pdf", objects)

    sizes = content_sizes(PdfReader(path), path.stat().st_size)

    assert sizes is not None
    crowded, one_form = sizes
    assert one_form > crowded  # the same content stream, plus the one form it names
