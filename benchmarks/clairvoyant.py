"""The best two processes can do when the longest document is known in advance.

    python benchmarks/clairvoyant.py FOLDER -o OUT --longest PATH

One process imports docpool's `text` processor (pypdf), then forks: the
child extracts PATH alone, the parent every other document, and the parent
exits once the child has. No pool, no messages, no journal, no report. It is
told which document is longest (speed.py takes it from the ideal's loops),
so it starts that one at once, which no real tool can know to do.

Where one document sets the ideal (the shared corpus), its time over the
ideal is the least any two-process tool can score on this machine: starting
Python and pypdf once, both cores busy, and nothing else.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--longest", type=Path, required=True,
                        help="the document the child process extracts, alone")
    options = parser.parse_args(argv)
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
    child = os.fork()
    if child == 0:
        extract(longest)
        os._exit(0)
    for document in iter_documents(options.folder, exclude=options.output):
        if Path(document.path).resolve() != longest:
            extract(Path(document.path))
    os.waitpid(child, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
