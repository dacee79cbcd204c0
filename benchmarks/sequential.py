"""The floor: docpool's own `text` processor called in a plain loop, one process.

    python benchmarks/sequential.py FOLDER -o OUT [--part I/N]

`--part I/N` takes every Nth document (in path order) from the Ith, counting
from 0: N loops with parts 0/N .. N-1/N share a folder's documents out.
Prints one JSON object: wall seconds of the loop, documents, failures, the
longest single document and its path, and the wall and CPU seconds spent
inside the processor over all documents (pypdf is imported before the loop's
clock starts, so no document's seconds include its import). No pool, no
journal, no report, no progress.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path


def part(text: str) -> tuple[int, int]:
    index, _, parts = text.partition("/")
    if not (index.isdigit() and parts.isdigit() and int(index) < int(parts)):
        raise argparse.ArgumentTypeError(f"{text!r}: expected I/N with 0 <= I < N")
    return int(index), int(parts)


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--part", type=part, default=(0, 1), metavar="I/N")
    options = parser.parse_args(argv)
    from tui.discover import iter_documents
    from tui.processors import extract_text

    # The processor imports pypdf on its first call: import it here, so that
    # no document's seconds carry the import (0.1 s) and longest_s is the
    # longest document's own time wherever it comes in the loop.
    importlib.import_module("pypdf")
    import warnings, logging
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    loop_started = time.perf_counter()
    documents = failed = 0
    longest = inside_wall = inside_cpu = 0.0
    longest_path = None
    index, parts = options.part
    paths = (d.path for d in iter_documents(options.folder, exclude=options.output))
    if parts > 1:
        paths = iter(sorted(paths)[index::parts])
    for path in paths:
        t, cpu = time.perf_counter(), time.process_time()
        try:
            extract_text(Path(path), folder=options.folder, output=options.output)
        except Exception:  # noqa: BLE001 - the floor counts failures, as docpool does
            failed += 1
        seconds = time.perf_counter() - t
        inside_cpu += time.process_time() - cpu
        inside_wall += seconds
        if seconds > longest:
            longest, longest_path = seconds, str(path)
        documents += 1
    now = time.perf_counter()
    print(json.dumps({
        "documents": documents, "failed": failed,
        "loop_s": now - loop_started, "process_s": now - started, "longest_s": longest,
        "longest_path": longest_path,
        "inside_wall_s": inside_wall, "inside_cpu_s": inside_cpu,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
