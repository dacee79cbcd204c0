"""Where docpool's time goes beyond the ideal, per worker, on one corpus.

    python benchmarks/overhead_breakdown.py                  # the tiny corpus (5,000 one-page PDFs)
    python benchmarks/overhead_breakdown.py --folder DIR

One invocation runs, one after the other:

- the ideal's two sequential loops at once (`sequential.py`, as in
  `speed.py`), each timing every document (wall and CPU inside the `text`
  processor);
- `docpool run -w 2` with this module's `timed_text` as the processor: the
  `text` processor with the same timings, plus the worker's process id.

Per docpool worker it prints: its span (first document's start to last
one's end), the wall and CPU time inside the processor, the CPU it spent
between documents (receiving the task, checking and sending the result),
and the time it waited between documents beyond that CPU. Beside them, the
loops' CPU and wall per document, so "a document takes longer in a worker"
and "a worker waits between documents" can be told apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed_text(path: Path) -> dict:
    """The `text` processor, with the document's start, end and CPU time in its record."""
    from tui.processors import extract_text

    started, cpu = time.perf_counter(), time.process_time()
    data = extract_text(path, folder=Path(os.environ["BREAKDOWN_FOLDER"]),
                        output=Path(os.environ["BREAKDOWN_OUTPUT"]))
    data["probe"] = [os.getpid(), started, time.perf_counter(), cpu, time.process_time()]
    return data


def run_loops(folder: Path) -> dict:
    from speed import run_loop_pair

    half_pair, reports = run_loop_pair(folder)
    documents = sum(r["documents"] for r in reports)
    return {
        "ideal_half_pair_s": half_pair,
        "loop_wall_ms_per_doc": 1000 * sum(r["inside_wall_s"] for r in reports) / documents,
        "loop_cpu_ms_per_doc": 1000 * sum(r["inside_cpu_s"] for r in reports) / documents,
    }


def run_docpool(folder: Path) -> dict:
    from _common import WORK, docpool, env, fresh

    output = fresh(WORK / "out-breakdown")
    environment = {**env(), "BREAKDOWN_FOLDER": str(folder), "BREAKDOWN_OUTPUT": str(output)}
    started = time.perf_counter()
    subprocess.run(docpool(folder, output, "-w", "2", "--progress", "none",
                           "--processor", "overhead_breakdown:timed_text"),
                   env=environment, stdout=subprocess.DEVNULL, check=False)
    result: dict = {"docpool_s": time.perf_counter() - started, "workers": []}
    by_worker: dict[int, list[list[float]]] = defaultdict(list)
    with open(output / "docpool-journal.jsonl") as journal:
        next(journal)
        for line in journal:
            probe = json.loads(line).get("data", {}).get("probe")
            if probe:
                by_worker[probe[0]].append(probe[1:])
    for documents in by_worker.values():
        documents.sort()
        span = documents[-1][1] - documents[0][0]
        inside_wall = sum(end - start for start, end, _, _ in documents)
        inside_cpu = sum(c1 - c0 for _, _, c0, c1 in documents)
        between_cpu = documents[-1][3] - documents[0][2] - inside_cpu
        n = len(documents)
        result["workers"].append({
            "documents": n,
            "span_s": span,
            "inside_wall_ms_per_doc": 1000 * inside_wall / n,
            "inside_cpu_ms_per_doc": 1000 * inside_cpu / n,
            "between_cpu_ms_per_doc": 1000 * between_cpu / n,
            "between_waiting_ms_per_doc": 1000 * (span - inside_wall - between_cpu) / n,
        })
    return result


def main(argv: list[str] | None = None) -> int:
    from _common import fmt, folder_options, save, settle_disk

    options, folder = folder_options(__doc__, argv, save="overhead_breakdown")
    settle_disk()
    loops = run_loops(folder)
    settle_disk()
    pool = run_docpool(folder)
    print(f"ideal {fmt(loops['ideal_half_pair_s'])} s, docpool {fmt(pool['docpool_s'])} s "
          f"({fmt(pool['docpool_s'] / loops['ideal_half_pair_s'], 3)}x)")
    print(f"loops, per document: wall {fmt(loops['loop_wall_ms_per_doc'], 3)} ms, "
          f"CPU {fmt(loops['loop_cpu_ms_per_doc'], 3)} ms")
    for worker in pool["workers"]:
        print(f"worker, {worker['documents']} documents in {fmt(worker['span_s'])} s; per document: "
              f"inside wall {fmt(worker['inside_wall_ms_per_doc'], 3)} ms, "
              f"CPU {fmt(worker['inside_cpu_ms_per_doc'], 3)} ms; between: "
              f"CPU {fmt(worker['between_cpu_ms_per_doc'], 3)} ms, "
              f"waiting {fmt(worker['between_waiting_ms_per_doc'], 3)} ms")
    save(options.save, {"folder": str(folder), "loops": loops, "docpool": pool})
    return 0


if __name__ == "__main__":
    sys.exit(main())
