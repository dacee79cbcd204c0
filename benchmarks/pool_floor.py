"""How much of docpool's overhead any pool must pay, and how much is its own.

    python benchmarks/pool_floor.py [--runs 3] [--folder DIR]

Per run, on the tiny corpus (5,000 one-page PDFs) unless --folder is given,
one after the other in rotating order, outputs moved aside and the disk synced
before each: the ideal (two sequential loops at once, half their wall time),
benchmarks/bare_pool.py (two workers, one message each way per document and
nothing else), the same with 16 documents queued on each worker and the
controller napping 10 ms before it reads what gathered (as docpool does with
quick documents: still one message each way per document), the same with 8
documents a message each way (what batching would buy), and `docpool run -w
2 --progress none`. Every time is a process's wall time, start-up included.
napping/ideal is the least a pool pays that isolates each document in a
worker process and hears of each one as it ends; docpool/napping is what
docpool's journal, report, ETA, timeouts and checks cost on top.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    HERE, PYTHON, WORK, ForeignLoad, docpool, fmt, folder_options, fresh, medians, print_run, save,
    settle_disk, timed_cpu,
)
from speed import run_loop_pair  # noqa: E402

BATCH = 8
TOOLS = ("ideal", "bare", "napping", "batched", "docpool")
BARE_OPTIONS = {
    "bare": ["--batch", "1"],
    "napping": ["--batch", "1", "--depth", "16", "--nap", "0.01"],
    "batched": ["--batch", str(BATCH)],
}


def measure(tool: str, folder: Path, row: dict) -> None:
    settle_disk()
    with ForeignLoad() as foreign:
        if tool == "ideal":
            row["ideal_s"], _ = run_loop_pair(folder)
        elif tool in BARE_OPTIONS:
            out = fresh(WORK / "out-bare")
            row[f"{tool}_s"], row[f"{tool}_controller_cpu_s"] = timed_cpu(
                [PYTHON, str(HERE / "bare_pool.py"), str(folder), "-o", str(out), "-w", "2",
                 *BARE_OPTIONS[tool]])
        else:
            out = fresh(WORK / "out-docpool")
            row["docpool_s"], row["docpool_controller_cpu_s"] = timed_cpu(
                docpool(folder, out, "-w", "2", "--progress", "none"))
    row[f"foreign_{tool}"] = foreign.share


def main(argv: list[str] | None = None) -> int:
    options, folder = folder_options(__doc__, argv, save="pool_floor", runs=3)
    runs = []
    for number in range(options.runs):
        row: dict = {}
        turn = number % len(TOOLS)
        for tool in TOOLS[turn:] + TOOLS[:turn]:
            measure(tool, folder, row)
        row["bare_over_ideal"] = row["bare_s"] / row["ideal_s"]
        row["napping_over_ideal"] = row["napping_s"] / row["ideal_s"]
        row["batched_over_ideal"] = row["batched_s"] / row["ideal_s"]
        row["docpool_over_ideal"] = row["docpool_s"] / row["ideal_s"]
        row["docpool_over_bare"] = row["docpool_s"] / row["bare_s"]
        row["docpool_over_napping"] = row["docpool_s"] / row["napping_s"]
        runs.append(row)
        print_run(number, row)
    summary = medians(runs)
    print(f"medians: ideal {fmt(summary['ideal_s'])} s, bare pool {fmt(summary['bare_s'])} s "
          f"({fmt(summary['bare_over_ideal'], 3)}x ideal), napping {fmt(summary['napping_s'])} s "
          f"({fmt(summary['napping_over_ideal'], 3)}x), bare pool with {BATCH} documents "
          f"a message {fmt(summary['batched_s'])} s ({fmt(summary['batched_over_ideal'], 3)}x), docpool {fmt(summary['docpool_s'])} s "
          f"({fmt(summary['docpool_over_ideal'], 3)}x ideal, {fmt(summary['docpool_over_napping'], 3)}x "
          f"napping); controller CPU: bare {fmt(summary['bare_controller_cpu_s'])} s, napping "
          f"{fmt(summary['napping_controller_cpu_s'])} s, docpool "
          f"{fmt(summary['docpool_controller_cpu_s'])} s")
    save(options.save, {"folder": str(folder), "runs": runs, "median": summary})
    return 0


if __name__ == "__main__":
    sys.exit(main())
