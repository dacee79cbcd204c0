"""The seed chapter's batch processor, as printed: every path into a
ProcessPoolExecutor at once, a dict from future to path, tqdm over
as_completed. It runs the same per-file work as docpool's `text` processor.

    python benchmarks/seed_processor.py FOLDER -o OUT [-w 2]

Benchmark extras, none of which change what the loop does:
`--eta-log FILE` writes one JSON line per tqdm display, {elapsed, remaining, n,
total}, the remaining time computed exactly as tqdm prints it;
`--processor module:function` swaps the per-file function (the memory bench
uses a no-op).
"""

import argparse
import importlib
import json
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from pathlib import Path

from tqdm import tqdm


def process_pdf(path, folder, output):
    from tui.processors import extract_text

    warnings.simplefilter("ignore")
    return extract_text(path, folder=folder, output=output)


class LoggedTqdm(tqdm):
    """tqdm that also records what it displays, for the ETA benchmark."""

    log = None

    def display(self, *args, **kwargs):
        if self.log is not None:
            d = self.format_dict
            rate = d["rate"]
            if rate is None and d["elapsed"]:
                rate = (d["n"] - d["initial"]) / d["elapsed"]
            total = d["total"]
            remaining = (total - d["n"]) / rate if rate and total else None
            self.log.write(json.dumps({
                "elapsed": d["elapsed"], "remaining": remaining, "n": d["n"], "total": total,
            }) + "\n")
        return super().display(*args, **kwargs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("out"))
    parser.add_argument("-w", "--workers", type=int, default=None)
    parser.add_argument("--eta-log", type=Path)
    parser.add_argument("--processor")
    args = parser.parse_args()

    if args.processor:
        module, _, name = args.processor.partition(":")
        work = getattr(importlib.import_module(module), name)
    else:
        work = partial(process_pdf, folder=args.folder, output=args.output)
    if args.eta_log:
        LoggedTqdm.log = open(args.eta_log, "w")

    paths = sorted(args.folder.rglob("*.pdf"))
    results, errors = {}, {}
    with ProcessPoolExecutor(max_workers=args.workers) as executor:
        futures = {executor.submit(work, path): path for path in paths}
        for future in LoggedTqdm(as_completed(futures), total=len(futures), file=sys.stderr):
            path = futures[future]
            try:
                results[str(path)] = future.result()
            except Exception as error:
                errors[str(path)] = f"{type(error).__name__}: {error}"

    args.output.mkdir(parents=True, exist_ok=True)
    with open(args.output / "results.json", "w") as report:
        json.dump({"results": results, "errors": errors}, report)
    print(f"{len(results)} ok, {len(errors)} failed")
    if LoggedTqdm.log:
        LoggedTqdm.log.close()


if __name__ == "__main__":
    main()
