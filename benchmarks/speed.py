"""Wall time of docpool against the ideal and the baselines, in one invocation.

    python benchmarks/speed.py                      # generated, shared and tiny corpora
    python benchmarks/speed.py --corpus shared --runs 5

Per run, on the same corpus, one after the other (the order rotates per run):

- ideal: two sequential loops over the whole corpus (benchmarks/sequential.py)
  started at the same time; ideal = half their wall time, and never less than
  the single longest document. This measures what two cores really deliver
  together, instead of assuming half of one loop.
- docpool: `docpool run -w 2 --progress none` (journal and report included).
- seed: benchmarks/seed_processor.py -w 2 (ProcessPoolExecutor + tqdm).
- parallel: GNU parallel -j2, one process per document (benchmarks/one_file.py);
  on a subset when --parallel-subset is given, scaled to the whole corpus.

Every number is a process's wall time, interpreter start-up included. Before
each tool, every output folder is moved aside (not deleted: see
`_common.fresh`) and the disk synced (settle_disk).
The "tiny" corpus (5,000 one-page PDFs) is the framework-overhead figure.

What docpool spends beyond the ideal, measured in the same run, to tell where
a gap comes from:

- docpool_controller_cpu_s: the controller's own CPU time (workers excluded).
  On two cores shared with two workers it comes out of their time, so
  controller_share = that CPU / 2 / ideal is what it can add to the ratio.
- docpool_one_doc_s: `docpool run` on a folder of one one-page PDF (median of
  3): start-up, the first worker, report and exit, the part of any run that
  does not depend on the corpus; fixed_share = it / ideal.
- sequential_one_doc_s: the sequential loop on that folder: what starting
  Python and importing pypdf costs any tool (the ideal's longest document is
  timed inside its loop, without it).
- longest_alone_s: the sequential loop on a folder holding only the ideal's
  longest document, a process's wall time like every tool's. No tool can
  finish the corpus sooner, so longest_alone_over_ideal is the least any tool
  can score: where the longest document sets the ideal (the shared corpus),
  it tells how much of the target's margin is left after starting Python.
- clairvoyant_s: benchmarks/clairvoyant.py, told the longest document: one
  process imports pypdf and forks; the child extracts that document, the
  parent the rest. The best two processes can do, knowing what no tool can
  know in advance; clairvoyant_over_ideal is the least a two-process tool
  can score on this machine with both cores busy. Measured on the shared
  corpus only, whose longest document sets its ideal: elsewhere one process
  for it and one for the rest is no one's best. clairvoyant_longest_doc_s:
  from the fork to that document's text, in the child.
- docpool_beyond_longest_s and alone_beyond_longest_s: each run's wall time
  less its longest document's own seconds (docpool's from its journal, the
  loop's from its report): start-up, the wait before that document starts,
  and the end. The longest document's own speed varies from one invocation
  to the next by more than the target's margin; this difference does not
  carry it. longest_in_docpool_over_alone is that document's own seconds in
  a docpool worker over those in the loop alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ForeignLoad, HERE, PYTHON, WORK, docpool, fmt, fresh, median, save, shared_corpus,
    settle_disk, start, timed, timed_cpu,
)
from make_corpus import ensure_corpus  # noqa: E402

TOOLS = ("ideal", "docpool", "seed", "parallel")
ONE_DOC = WORK / "one-doc"
LONGEST_ALONE = WORK / "longest-alone"
CLAIRVOYANT_OUT = WORK / "out-clairvoyant"
FIXED_REPEATS = 3


def run_loop_pair(folder: Path) -> tuple[float, list[dict]]:
    """Two sequential loops at once: half their wall time, and each one's report."""
    outputs = [fresh(WORK / f"out-seq{i}") for i in (1, 2)]
    started = time.perf_counter()
    loops = [
        start([PYTHON, str(HERE / "sequential.py"), str(folder), "-o", str(out)],
              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for out in outputs
    ]
    reports = [json.loads(loop.communicate()[0]) for loop in loops]
    return (time.perf_counter() - started) / 2, reports


def run_ideal(folder: Path) -> tuple[float, float, str]:
    """Two sequential loops at once: (half the wall time, longest document, its path)."""
    half_pair, reports = run_loop_pair(folder)
    longest = max(reports, key=lambda report: report["longest_s"])
    return half_pair, longest["longest_s"], longest["longest_path"]


def run_longest_alone(path: str) -> tuple[float, float]:
    """The sequential loop on a folder of a copy of `path` alone: (process wall
    time, the document's own seconds inside it)."""
    shutil.rmtree(LONGEST_ALONE, ignore_errors=True)
    LONGEST_ALONE.mkdir(parents=True)
    shutil.copyfile(path, LONGEST_ALONE / Path(path).name)
    settle_disk()
    report = WORK / "longest-alone.json"
    with open(report, "w") as stdout:
        seconds = timed([PYTHON, str(HERE / "sequential.py"), str(LONGEST_ALONE), "-o",
                         str(fresh(WORK / "out-longest-alone"))], stdout=stdout)
    return seconds, json.loads(report.read_text())["longest_s"]


def longest_in_journal(output: Path) -> float:
    """The most seconds any one document took in a docpool run, from its journal."""
    with open(output / "docpool-journal.jsonl") as journal:
        next(journal)
        return max(json.loads(line)["seconds"] for line in journal)


def run_parallel(folder: Path, subset: int | None) -> tuple[float, int, int]:
    paths = sorted(str(p) for p in folder.rglob("*") if p.name.lower().endswith(".pdf"))
    chosen = paths if not subset or subset >= len(paths) else paths[:subset]
    listing = WORK / "parallel-list.txt"
    listing.write_text("\n".join(chosen) + "\n")
    out = fresh(WORK / "out-parallel")
    seconds = timed(["parallel", "-j2", "--will-cite", PYTHON, str(HERE / "one_file.py"),
                     str(folder), str(out), "::::", str(listing)], check=False)
    return seconds * len(paths) / len(chosen), len(chosen), len(paths)


def measure(name: str, folder: Path, runs: int, parallel_runs: int, subset: int | None) -> dict:
    rows = []
    for run in range(runs):
        row: dict = {}
        order = TOOLS[run % len(TOOLS):] + TOOLS[: run % len(TOOLS)]
        foreign = []
        for tool in order:
            if tool == "parallel" and run >= parallel_runs:
                continue
            with ForeignLoad() as load:
                measure_tool(tool, row, folder, subset)
            foreign.append(load.share)
            row[f"foreign_{tool}"] = load.share
        row["foreign_load_max"] = max(foreign)
        measure_fixed_costs(row, folder, clairvoyant=name == "shared")
        finish_row(row)
        rows.append(row)
        print(f"  {name} run {run + 1}: " + ", ".join(
            f"{k}={v:.3f}" for k, v in row.items() if isinstance(v, float)), flush=True)
    keys = sorted({k for row in rows for k in row if isinstance(row[k], float)})
    summary = {k: median([row[k] for row in rows if k in row]) for k in keys}
    return {"runs": rows, "median": summary}


def measure_tool(tool: str, row: dict, folder: Path, subset: int | None) -> None:
    settle_disk()
    if tool == "ideal":
        row["ideal_half_pair_s"], row["longest_doc_s"], row["longest_path"] = run_ideal(folder)
        row["ideal_s"] = max(row["ideal_half_pair_s"], row["longest_doc_s"])
    elif tool == "docpool":
        out = fresh(WORK / "out-docpool")
        row["docpool_s"], row["docpool_controller_cpu_s"] = timed_cpu(
            docpool(folder, out, "-w", "2", "--progress", "none"))
        row["docpool_longest_doc_s"] = longest_in_journal(out)
    elif tool == "seed":
        out = fresh(WORK / "out-seed")
        row["seed_s"] = timed([PYTHON, str(HERE / "seed_processor.py"), str(folder),
                               "-o", str(out), "-w", "2"])
    elif tool == "parallel":
        row["parallel_s"], row["parallel_docs"], total = run_parallel(folder, subset)
        row["parallel_scaled"] = row["parallel_docs"] != total


def measure_fixed_costs(row: dict, folder: Path, clairvoyant: bool) -> None:
    """docpool and the sequential loop on one one-page PDF: the part of a run
    that does not grow with the corpus (median of FIXED_REPEATS each); the
    loop on the longest document alone; and, if asked, the clairvoyant pair."""
    row["longest_alone_s"], row["longest_alone_doc_s"] = run_longest_alone(row["longest_path"])
    if clairvoyant:
        settle_disk()
        report = WORK / "clairvoyant.json"
        with open(report, "w") as stdout:
            row["clairvoyant_s"] = timed(
                [PYTHON, str(HERE / "clairvoyant.py"), str(folder), "-o",
                 str(fresh(CLAIRVOYANT_OUT)), "--longest", row["longest_path"]], stdout=stdout)
        row["clairvoyant_longest_doc_s"] = json.loads(report.read_text())["longest_s"]
    ensure_corpus(ONE_DOC, 1, tiny=True)
    docpool_runs, sequential_runs = [], []
    for _ in range(FIXED_REPEATS):
        settle_disk()
        docpool_runs.append(timed(docpool(ONE_DOC, fresh(WORK / "out-one-doc"), "-w", "2",
                                          "--progress", "none")))
        settle_disk()
        sequential_runs.append(timed([PYTHON, str(HERE / "sequential.py"), str(ONE_DOC), "-o",
                                      str(fresh(WORK / "out-one-doc-seq"))]))
    row["docpool_one_doc_s"] = median(docpool_runs)
    row["sequential_one_doc_s"] = median(sequential_runs)


def finish_row(row: dict) -> None:
    for tool in ("docpool", "seed", "parallel"):
        if f"{tool}_s" in row:
            row[f"{tool}_over_ideal"] = row[f"{tool}_s"] / row["ideal_s"]
    row["controller_share"] = row["docpool_controller_cpu_s"] / 2 / row["ideal_s"]
    row["fixed_share"] = row["docpool_one_doc_s"] / row["ideal_s"]
    row["longest_alone_over_ideal"] = row["longest_alone_s"] / row["ideal_s"]
    if "clairvoyant_s" in row:
        row["clairvoyant_over_ideal"] = row["clairvoyant_s"] / row["ideal_s"]
    row["docpool_beyond_longest_s"] = row["docpool_s"] - row["docpool_longest_doc_s"]
    row["alone_beyond_longest_s"] = row["longest_alone_s"] - row["longest_alone_doc_s"]
    row["longest_in_docpool_over_alone"] = row["docpool_longest_doc_s"] / row["longest_alone_doc_s"]
    row["docpool_over_seed"] = row["docpool_s"] / row["seed_s"]
    if "parallel_s" in row:
        row["parallel_over_docpool"] = row["parallel_s"] / row["docpool_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", choices=("generated", "shared", "tiny"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("-n", type=int, default=1000, help="generated corpus size (default 1000)")
    parser.add_argument("--tiny-n", type=int, default=5000)
    parser.add_argument("--parallel-runs", type=int, default=1,
                        help="runs that include GNU parallel (default 1; all for 'shared')")
    parser.add_argument("--parallel-subset", type=int, default=500,
                        help="GNU parallel on the first N documents of the tiny and generated corpora, scaled (default 500; 0: all)")
    parser.add_argument("--save", default="speed", help="results/NAME.json (default speed)")
    options = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for corpus in options.corpus or ["shared", "generated", "tiny"]:
        if corpus == "generated":
            folder = WORK / f"generated-{options.n}"
            facts = ensure_corpus(folder, options.n)
            parallel_runs, subset = options.parallel_runs, options.parallel_subset // 2 or None
        elif corpus == "tiny":
            folder = WORK / f"tiny-{options.tiny_n}"
            facts = ensure_corpus(folder, options.tiny_n, tiny=True)
            parallel_runs, subset = options.parallel_runs, options.parallel_subset or None
        else:
            folder, facts = shared_corpus()
            parallel_runs, subset = options.runs, None
        print(f"{corpus}: {facts}", flush=True)
        results[corpus] = {"corpus": facts, **measure(corpus, folder, options.runs,
                                                      parallel_runs, subset)}
        m = results[corpus]["median"]
        print(f"{corpus} medians: ideal {fmt(m['ideal_s'])} s, docpool {fmt(m['docpool_s'])} s "
              f"({fmt(m['docpool_over_ideal'], 3)}x ideal), seed {fmt(m['seed_s'])} s "
              f"({fmt(m['seed_over_ideal'], 3)}x), parallel {fmt(m.get('parallel_s'))} s "
              f"({fmt(m.get('parallel_over_ideal'), 3)}x); docpool/seed "
              f"{fmt(m['docpool_over_seed'], 3)}; controller CPU "
              f"{fmt(m['docpool_controller_cpu_s'])} s (share {fmt(m['controller_share'], 3)}), "
              f"one-document run {fmt(m['docpool_one_doc_s'])} s (share "
              f"{fmt(m['fixed_share'], 3)}), loop on it {fmt(m['sequential_one_doc_s'])} s; "
              f"loop on the longest document alone {fmt(m['longest_alone_s'])} s "
              f"({fmt(m['longest_alone_over_ideal'], 3)}x ideal); clairvoyant pair "
              f"{fmt(m.get('clairvoyant_s'))} s ({fmt(m.get('clairvoyant_over_ideal'), 3)}x); "
              f"beyond the longest "
              f"document's own seconds: docpool {fmt(m['docpool_beyond_longest_s'], 3)} s, "
              f"the loop on it alone {fmt(m['alone_beyond_longest_s'], 3)} s; that document "
              f"in docpool / alone {fmt(m['longest_in_docpool_over_alone'], 3)}",
              flush=True)
    save(options.save, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
