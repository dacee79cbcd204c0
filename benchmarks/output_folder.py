"""What writing every text into one folder costs, against a folder per process.

    python benchmarks/output_folder.py [--runs 4] [--folder DIR]

docpool writes each text to OUTPUT/<relative path>.txt: for a flat folder of
PDFs, one output folder that every worker creates files in. The ideal (two
sequential loops at once, each over the whole corpus) writes into a folder
per loop. This measures that difference alone, with no pool: two loops at
once, each over half the documents (`sequential.py --part 0/2` and `1/2`),
writing into one folder, then into two, alternating which goes first, outputs
removed and the disk synced before each. Each time is the pair's wall time,
start-up included. Tiny corpus (5,000 one-page PDFs) unless --folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    HERE, PYTHON, WORK, ForeignLoad, fmt, folder_options, fresh, medians, print_run, save,
    settle_disk, start,
)

LAYOUTS = ("one_folder", "two_folders")


def run_halves(folder: Path, layout: str) -> tuple[float, float]:
    """(wall seconds of the pair, CPU seconds inside the processor, both loops)."""
    if layout == "one_folder":
        outputs = [fresh(WORK / "out-halves")] * 2
    else:
        outputs = [fresh(WORK / f"out-halves{i}") for i in (0, 1)]
    started = time.perf_counter()
    loops = [
        start([PYTHON, str(HERE / "sequential.py"), str(folder), "-o", str(out),
               "--part", f"{i}/2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for i, out in enumerate(outputs)
    ]
    reports = [json.loads(loop.communicate()[0]) for loop in loops]
    return time.perf_counter() - started, sum(report["inside_cpu_s"] for report in reports)


def main(argv: list[str] | None = None) -> int:
    options, folder = folder_options(__doc__, argv, save="output_folder", runs=4)
    runs = []
    for number in range(options.runs):
        row: dict = {}
        order = LAYOUTS if number % 2 == 0 else LAYOUTS[::-1]
        for layout in order:
            settle_disk()
            with ForeignLoad() as foreign:
                row[f"{layout}_s"], row[f"{layout}_cpu_s"] = run_halves(folder, layout)
            row[f"foreign_{layout}"] = foreign.share
        row["one_over_two"] = row["one_folder_s"] / row["two_folders_s"]
        row["cpu_one_over_two"] = row["one_folder_cpu_s"] / row["two_folders_cpu_s"]
        runs.append(row)
        print_run(number, row)
    summary = medians(runs)
    print(f"medians: one folder {fmt(summary['one_folder_s'])} s, two folders "
          f"{fmt(summary['two_folders_s'])} s: one folder {fmt(summary['one_over_two'], 3)}x "
          f"(CPU inside the processor {fmt(summary['cpu_one_over_two'], 3)}x); "
          f"{sum(row['one_over_two'] > 1 for row in runs)} of {len(runs)} runs slower in one folder")
    save(options.save, {"folder": str(folder), "runs": runs, "median": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
