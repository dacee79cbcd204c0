"""Real PDFs for the tests, made on the spot with fpdf2."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF


def make_pdf(path: Path, pages: int = 1, text: str = "Hello from docpool") -> Path:
    """Write a valid PDF of `pages` pages, each saying `text` and its number."""
    document = FPDF()
    document.set_font("helvetica", size=12)
    document.set_title(f"Title of {path.stem}")
    document.set_author("docpool tests")
    for number in range(1, pages + 1):
        document.add_page()
        document.cell(text=f"{text} page {number}")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.output(str(path))
    return path


def make_broken(path: Path, content: bytes = b"%PDF-1.4\nthis is not a pdf at all\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def make_folder(root: Path, good: int = 5, broken: int = 0, pages: int = 1) -> Path:
    for index in range(good):
        make_pdf(root / f"doc-{index:03d}.pdf", pages=pages)
    for index in range(broken):
        make_broken(root / f"broken-{index:03d}.pdf")
    return root


def make_truncated(path: Path, keep: float = 0.5) -> Path:
    """A real PDF cut short, as a download that stopped half way leaves it."""
    whole = make_pdf(path, pages=3).read_bytes()
    path.write_bytes(whole[: int(len(whole) * keep)])
    return path


def make_encrypted(path: Path, user_password: str = "secret") -> Path:
    """A PDF that opens only with `user_password`."""
    document = FPDF()
    document.set_encryption(owner_password="owner", user_password=user_password)
    document.set_font("helvetica", size=12)
    document.add_page()
    document.cell(text="locked")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.output(str(path))
    return path


def make_bomb(path: Path, inflated: int = 2 * 1024**3) -> Path:
    """A one-page PDF whose content stream is a few MB of Flate that inflates to `inflated` bytes.

    The deflate data is one compressed 16 MiB block of spaces repeated: after
    a full flush each block stands alone, so the stream is built in a blink.
    """
    import zlib

    block = 16 * 1024 * 1024
    repeats = max(1, inflated // block)
    chunk = b" " * block
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    checksum = 1
    for _ in range(repeats):
        checksum = zlib.adler32(chunk, checksum)
    stream = (
        b"\x78\xda" + piece * repeats + compressor.flush(zlib.Z_FINISH)
        + checksum.to_bytes(4, "big")
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return write_objects(path, objects)


def make_oversized_text_page(path: Path, padding: int) -> Path:
    """Two pages with real text, the second a content stream of `padding` bytes
    of blanks between its two lines (past pypdf's 75 MB decompression cap when
    `padding` is larger)."""
    import zlib

    page = b"BT /F1 12 Tf 72 712 Td (%s) Tj ET\n"
    contents = [page % b"first page", page % b"hello" + b" " * padding + page % b"tail"]
    streams = [zlib.compress(content, 9) for content in contents]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
    ]
    for number in (5, 6):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 7 0 R >> >> >>" % number
        )
    for stream in streams:
        objects.append(
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return write_objects(path, objects)


def write_objects(path: Path, objects: list[bytes]) -> Path:
    """A PDF file of `objects` (1 is the catalog), with its cross-reference table."""
    body = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        body += b"%010d 00000 n \n" % offset
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(body))
    return path
