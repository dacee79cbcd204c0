"""The floor: docpool's own `text` processor called in a plain loop, one process.

    python benchmarks/sequential.py FOLDER -o OUT

Prints one JSON object: wall seconds of the loop, documents, failures, the
longest single document, and the wall and CPU seconds spent inside the
processor over all documents. No pool, no journal, no report, no progress.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    options = parser.parse_args(argv)
    from tui.discover import iter_documents
    from tui.processors import extract_text

    import warnings, logging
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    loop_started = time.perf_counter()
    documents = failed = 0
    longest = inside_wall = inside_cpu = 0.0
    for document in iter_documents(options.folder, exclude=options.output):
        t, cpu = time.perf_counter(), time.process_time()
        try:
            extract_text(Path(document.path), folder=options.folder, output=options.output)
        except Exception:  # noqa: BLE001 - the floor counts failures, as docpool does
            failed += 1
        seconds = time.perf_counter() - t
        inside_cpu += time.process_time() - cpu
        inside_wall += seconds
        longest = max(longest, seconds)
        documents += 1
    now = time.perf_counter()
    print(json.dumps({
        "documents": documents, "failed": failed,
        "loop_s": now - loop_started, "process_s": now - started, "longest_s": longest,
        "inside_wall_s": inside_wall, "inside_cpu_s": inside_cpu,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
