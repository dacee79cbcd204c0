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
