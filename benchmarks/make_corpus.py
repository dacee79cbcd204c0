"""Write a corpus of generated PDFs for the benchmarks.

Page counts are log-normal (median about 4 pages, a long tail into the
hundreds), like a real folder of reports, letters and the odd manual. Every
page carries its own compressed text stream, so extraction costs something
and a file's size tracks its cost roughly, as it does in real folders, with
a spread: text density varies from document to document.

The PDFs are written directly (a few objects, a cross-reference table), which
takes seconds for thousands of files where fpdf2 would take minutes.

    python benchmarks/make_corpus.py DIR -n 3000                 # random order
    python benchmarks/make_corpus.py DIR -n 3000 --largest-first # names sort largest first
    python benchmarks/make_corpus.py DIR -n 5000 --tiny          # one-page PDFs, hard links
"""

from __future__ import annotations

import argparse
import errno
import json
import math
import os
import random
import shutil
import sys
import zlib
from pathlib import Path

WORDS = (
    "the of and to in is that for it as with was on be by this are from at or "
    "an have not which but all were when we there can more if no one been will "
    "their has would what so about out up into only other time could these two "
    "may then do first any new some like than very after most also made over did "
    "down where before between through such long being each those under well how "
    "report quarterly revenue analysis figure table section appendix summary "
    "contract agreement party clause invoice payment balance account statement "
    "method results discussion conclusion reference temperature pressure sample "
    "measurement procedure equipment maintenance schedule inspection approval"
).split()

MEDIAN_PAGES = 4.0
SIGMA = 1.2
MAX_PAGES = 600


def page_counts(n: int, rng: random.Random) -> list[int]:
    """n log-normal page counts (median MEDIAN_PAGES, shape SIGMA), at least 1."""
    mu = math.log(MEDIAN_PAGES)
    return [min(MAX_PAGES, max(1, round(rng.lognormvariate(mu, SIGMA)))) for _ in range(n)]


def line_pool(rng: random.Random, size: int = 4000) -> list[bytes]:
    """Lines of text as PDF string operands (escaped), to draw pages from."""
    lines = []
    for _ in range(size):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14)))
        text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        lines.append(text.encode("latin-1"))
    return lines


def page_stream(rng: random.Random, pool: list[bytes], lines: int) -> bytes:
    parts = [b"BT /F1 10 Tf 12 TL 50 790 Td"]
    for line in rng.choices(pool, k=lines):
        parts.append(b"(" + line + b") Tj T*")
    parts.append(b"ET")
    return zlib.compress(b"\n".join(parts), 6)


def pdf_bytes(pages: int, rng: random.Random, pool: list[bytes], lines_per_page: int) -> bytes:
    """A valid PDF with `pages` pages of text, correct cross-reference table included."""
    # Objects: 1 catalog, 2 pages, 3 font, then per page: page dict, content stream.
    objects: list[bytes] = []
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i in range(pages):
        content = page_stream(rng, pool, max(1, int(lines_per_page * rng.uniform(0.7, 1.0))))
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(
            f"<< /Length {len(content)} /Filter /FlateDecode >>\nstream\n".encode()
            + content
            + b"\nendstream"
        )
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(out)


def make_corpus(folder: Path, n: int, seed: int = 1, largest_first: bool = False) -> dict:
    rng = random.Random(seed)
    pool = line_pool(rng)
    counts = page_counts(n, rng)
    densities = [rng.randint(20, 60) for _ in range(n)]
    blobs = [pdf_bytes(pages, rng, pool, lines) for pages, lines in zip(counts, densities)]
    order = list(range(n))
    if largest_first:
        order.sort(key=lambda i: -len(blobs[i]))
    else:
        rng.shuffle(order)
    width = len(str(n))
    folder.mkdir(parents=True, exist_ok=True)
    for rank, i in enumerate(order):
        (folder / f"doc-{rank:0{width}d}.pdf").write_bytes(blobs[i])
    return {
        "documents": n,
        "pages": sum(counts),
        "bytes": sum(len(b) for b in blobs),
        "median_pages": sorted(counts)[n // 2],
        "max_pages": max(counts),
        "seed": seed,
        "order": "largest-first" if largest_first else "random",
    }


def make_tiny(folder: Path, n: int, seed: int = 1, copy: bool = False) -> dict:
    """n one-page PDFs: one file, hard-linked (or copied) n times."""
    rng = random.Random(seed)
    blob = pdf_bytes(1, rng, line_pool(rng, 200), 30)
    folder.mkdir(parents=True, exist_ok=True)
    width = len(str(n))
    first = folder / f"tiny-{0:0{width}d}.pdf"
    first.write_bytes(blob)
    source = first
    for i in range(1, n):
        target = folder / f"tiny-{i:0{width}d}.pdf"
        if copy:
            shutil.copyfile(first, target)
            continue
        try:
            os.link(source, target)
        except OSError as error:
            if error.errno != errno.EMLINK:  # ext4 allows 65,000 links to a file
                raise
            shutil.copyfile(first, target)
            source = target
    return {"documents": n, "pages": n, "bytes": n * len(blob), "order": "tiny", "seed": seed}


def ensure_corpus(folder: Path, n: int, *, seed: int = 1, largest_first: bool = False,
                  tiny: bool = False) -> dict:
    """Make the corpus unless `folder` already holds this very one (same parameters)."""
    stamp = folder.parent / (folder.name + ".corpus.json")
    wanted = {"n": n, "seed": seed, "largest_first": largest_first, "tiny": tiny}
    if stamp.exists() and folder.is_dir():
        saved = json.loads(stamp.read_text())
        if saved.get("wanted") == wanted:
            return saved["facts"]
    from _common import remove_tree

    remove_tree(folder)  # noted, so that timing waits until its inodes may be reused
    if tiny:
        facts = make_tiny(folder, n, seed)
    else:
        facts = make_corpus(folder, n, seed, largest_first)
    stamp.write_text(json.dumps({"wanted": wanted, "facts": facts}))
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", type=int, default=3000, help="number of PDFs (default 3000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--largest-first", action="store_true",
                        help="name files so that sorting by name puts the largest first")
    parser.add_argument("--tiny", action="store_true", help="N one-page PDFs (hard links of one)")
    parser.add_argument("--copy", action="store_true", help="with --tiny: copies, not hard links")
    options = parser.parse_args(argv)
    if options.folder.exists() and any(options.folder.iterdir()):
        print(f"{options.folder} is not empty", file=sys.stderr)
        return 2
    if options.tiny:
        facts = make_tiny(options.folder, options.n, options.seed, options.copy)
    else:
        facts = make_corpus(options.folder, options.n, options.seed, options.largest_first)
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
