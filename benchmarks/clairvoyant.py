"""The best two processes can do when the longest document is known in advance.

    python benchmarks/clairvoyant.py FOLDER -o OUT --longest PATH

One process imports docpool's `text` processor (pypdf), then forks: the
child extracts PATH alone, the parent every other document, and the parent
exits once the child has. No pool, no journal, no report: one message, the
child's end time, for the figures it prints (JSON: seconds from launch to
the fork, and from the fork to each process's last text). It is told which
document is longest (speed.py takes it from the ideal's loops), so it
starts that one at once, which no real tool can know to do.

Where one document sets the ideal (the shared corpus), its time over the
ideal is the least any two-process tool can score on this machine: starting
Python and pypdf once, both cores busy, and nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--longest", type=Path, required=True,
                        help="the document the child process extracts, alone")
    options = parser.parse_args(argv)
    importlib.import_module("pypdf")  # once, before the fork, as docpool's worker server does
    from tui.discover import iter_documents
    from tui.processors import extract_text

    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)  # as the loop: pypdf's warnings are not the work
    longest = options.longest.resolve()

    def extract(path: Path) -> None:
        try:
            extract_text(path, folder=options.folder, output=options.output)
        except Exception:  # noqa: BLE001 - a failure is a result, as in the loop
            pass

    sys.stdout.flush()
    forked = time.perf_counter()
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        extract(longest)
        os.write(write_end, repr(time.perf_counter()).encode())
        os._exit(0)
    os.close(write_end)
    for document in iter_documents(options.folder, exclude=options.output):
        if Path(document.path).resolve() != longest:
            extract(Path(document.path))
    rest_done = time.perf_counter()
    with os.fdopen(read_end, "rb") as pipe:
        longest_done = float(pipe.read() or "nan")
    os.waitpid(child, 0)
    print(json.dumps({
        "forked_s": forked - started, "longest_s": longest_done - forked,
        "rest_s": rest_done - forked, "process_s": time.perf_counter() - started,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
