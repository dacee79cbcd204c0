"""How right the ETA is: docpool's against tqdm's (the seed processor), same corpora.

    python benchmarks/eta_accuracy.py                 # generated (random, largest-first), shared
    python benchmarks/eta_accuracy.py --corpus shared --runs 3

For each run, every progress update whose elapsed time lies between 10% and
90% of the run's final elapsed time gives an error
|ETA - true remaining| / true remaining, where true remaining is the final
elapsed time minus the update's. docpool's updates are its
`--progress json` lines (every 0.4 s: at most four a second, on the
engine's 0.2 s snapshots); tqdm's are its displays (at most
every 0.1 s, and only when a document finishes), logged by the seed
processor's --eta-log with the remaining time computed as tqdm prints it.

Two views: "per update" weighs every update alike (the headline, as the
issue defines it); "per second" samples the run every 0.5 s and takes the
estimate on screen at that moment, which is what a person watching sees
(a tqdm line that stops changing while a big file runs keeps its old value).
An update without an estimate ("estimating", or tqdm before its first rate)
is left out of the statistics and counted in `no_estimate`.

Each docpool run's journal is kept beside its trace (WORK/eta-journal-*.jsonl),
and `early_cost_ratio` compares its documents' seconds per byte in the first
fifth of the work with the whole run's: a run whose machine was slower at the
start than later shows it higher than the other runs of the same corpus,
and the ETA, which learns from the start, long then.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    ForeignLoad, HERE, PYTHON, WORK, docpool, fmt, fresh, median, percentile,
    progress_updates, save, shared_corpus, start,
)
from make_corpus import ensure_corpus  # noqa: E402

LOW, HIGH = 0.10, 0.90
GRID_SECONDS = 0.5


def docpool_updates(folder: Path) -> tuple[list[tuple[float, float | None]], float, float]:
    out = fresh(WORK / "out-eta-docpool")
    with ForeignLoad() as load:
        process = start(docpool(folder, out, "-w", "2", "--progress", "json"),
                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = process.stderr.read().splitlines()
        process.wait()
    updates, final = progress_updates(lines)
    return updates, final, load.share


def tqdm_updates(folder: Path) -> tuple[list[tuple[float, float | None]], float, float]:
    out = fresh(WORK / "out-eta-seed")
    log = WORK / "tqdm-eta.jsonl"
    with ForeignLoad() as load:
        subprocess.run([PYTHON, str(HERE / "seed_processor.py"), str(folder), "-o", str(out),
                        "-w", "2", "--eta-log", str(log)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    final = records[-1]["elapsed"]
    updates = [(r["elapsed"], r["remaining"]) for r in records[:-1]]
    return updates, final, load.share


def early_cost_ratio(journal: Path) -> float | None:
    """Seconds per byte over the first fifth of the documents' seconds (in the
    order they finished), over the same for the whole run."""
    records = [json.loads(line) for line in journal.read_text().splitlines()[1:]]
    total_seconds = sum(r["seconds"] for r in records)
    total_bytes = sum(r["bytes"] for r in records)
    seconds = size = 0.0
    for record in records:
        seconds += record["seconds"]
        size += record["bytes"]
        if seconds >= total_seconds / 5:
            break
    if not size or not total_bytes or not total_seconds:
        return None
    return (seconds / size) / (total_seconds / total_bytes)


def errors(updates, final: float) -> dict:
    """Relative errors in the 10-90% window, per update and per 0.5 s of the run."""
    window = [(t, eta) for t, eta in updates if LOW * final <= t <= HIGH * final]
    per_update = [abs(eta - (final - t)) / (final - t) for t, eta in window if eta is not None]
    per_second = []
    shown: tuple[float, float | None] | None = None
    index = 0
    t = LOW * final
    while t <= HIGH * final:
        while index < len(updates) and updates[index][0] <= t:
            shown = updates[index]
            index += 1
        if shown is not None and shown[1] is not None:
            per_second.append(abs(shown[1] - (final - t)) / (final - t))
        t += GRID_SECONDS
    return {
        "elapsed_s": final,
        "updates": len(window),
        "no_estimate": sum(1 for _, eta in window if eta is None),
        "median": median(per_update),
        "p90": percentile(per_update, 90),
        "median_per_second": median(per_second),
        "p90_per_second": percentile(per_second, 90),
    }


def measure(folder: Path, runs: int, label: str = "") -> dict:
    rows = []
    for run in range(runs):
        row = {}
        tools = (("docpool", docpool_updates), ("tqdm", tqdm_updates))
        for name, collect in (tools if run % 2 == 0 else tools[::-1]):
            updates, final, foreign = collect(folder)
            trace = WORK / f"eta-trace-{label}-{name}-{run + 1}.json"
            trace.write_text(json.dumps({"final": final, "updates": updates}))
            row[name] = {**errors(updates, final), "foreign_load": foreign}
            if name == "docpool":
                journal = WORK / f"eta-journal-{label}-{run + 1}.jsonl"
                shutil.copyfile(WORK / "out-eta-docpool" / "docpool-journal.jsonl", journal)
                row[name]["early_cost_ratio"] = early_cost_ratio(journal)
        rows.append(row)
        print("  run {}: ".format(run + 1) + "; ".join(
            f"{tool} {r['elapsed_s']:.1f} s median {fmt(r['median'], 3)} p90 {fmt(r['p90'], 3)} "
            f"(per second {fmt(r['median_per_second'], 3)}/{fmt(r['p90_per_second'], 3)}, "
            f"no estimate {r['no_estimate']}/{r['updates']}, foreign load {r['foreign_load']:.2f}"
            + (f", early cost {fmt(r['early_cost_ratio'], 3)})" if "early_cost_ratio" in r else ")")
            for tool, r in row.items()), flush=True)
    summary = {
        tool: {key: median([row[tool][key] for row in rows if row[tool][key] is not None])
               for key in ("elapsed_s", "median", "p90", "median_per_second", "p90_per_second")}
        for tool in ("docpool", "tqdm")
    }
    return {"runs": rows, "median_of_runs": summary}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append",
                        choices=("random", "largest-first", "shared"))
    parser.add_argument("-n", type=int, default=3000, help="generated corpus size (default 3000)")
    parser.add_argument("--runs", type=int, default=1, help="runs per generated corpus (default 1)")
    parser.add_argument("--shared-runs", type=int, default=3)
    parser.add_argument("--save", default="eta_accuracy")
    options = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results = {}
    for corpus in options.corpus or ["random", "largest-first", "shared"]:
        if corpus == "shared":
            (folder, facts), runs = shared_corpus(), options.shared_runs
        else:
            largest = corpus == "largest-first"
            folder = WORK / f"eta-{corpus}-{options.n}"
            facts = ensure_corpus(folder, options.n, largest_first=largest)
            runs = options.runs
        print(f"{corpus}: {facts}", flush=True)
        results[corpus] = {"corpus": facts, **measure(folder, runs, corpus)}
        s = results[corpus]["median_of_runs"]
        d, t = s["docpool"], s["tqdm"]
        print(f"{corpus}: docpool median {fmt(d['median'], 3)} p90 {fmt(d['p90'], 3)}; "
              f"tqdm median {fmt(t['median'], 3)} p90 {fmt(t['p90'], 3)}", flush=True)
    save(options.save, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
