"""How soon the ETA follows a machine that slows down mid-batch.

    python benchmarks/eta_slowdown.py                # 800 copies, hogs from 15 s, 1 run
    python benchmarks/eta_slowdown.py --copies 1200 --hog-at 20 --runs 3

The corpus is COPIES copies of one 150-page generated PDF (about 0.3 s each
with the text processor), so that every document costs the same and only
the machine changes. `docpool run -w 2 --progress json` processes it; HOG_AT
seconds in, two busy Python processes start beside it and run until it ends:
on two cores the workers then get about half their CPU. From the JSON lines:
the ETA's error at each update after the hogs started (relative to the true
time left, as in eta_accuracy.py), and `settled_after_s`, how long after
the hogs started the error last exceeded 10% (updates in the last 5% of the
run left out, where a second is a large share of what is left).

No baseline: the issue names none for this, and tqdm's rate over the whole
run is no better placed to follow a change than a long memory.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    PYTHON, WORK, docpool, fmt, fresh, median, progress_updates, save, settle_disk, start,
)
from make_corpus import line_pool, pdf_bytes  # noqa: E402

PAGES = 150
SETTLED = 0.10
LAST_SHARE = 0.95


def ensure_copies(copies: int) -> Path:
    folder = WORK / f"slowdown-{copies}x{PAGES}"
    if folder.is_dir() and len(list(folder.glob("*.pdf"))) == copies:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    data = pdf_bytes(PAGES, rng, line_pool(rng), 40)
    for index in range(copies):
        (folder / f"doc-{index:05d}.pdf").write_bytes(data)
    return folder


def run_once(folder: Path, hog_at: float) -> dict:
    out = fresh(WORK / "out-slowdown")
    settle_disk()
    started = time.perf_counter()
    process = start(docpool(folder, out, "-w", "2", "--progress", "json"),
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr))
    reader.start()
    hogs: list[subprocess.Popen] = []
    try:
        while process.poll() is None:
            if not hogs and time.perf_counter() - started >= hog_at:
                hogs = [subprocess.Popen([PYTHON, "-c", "while True: pass"]) for _ in range(2)]
            time.sleep(0.05)
    finally:  # an interrupted benchmark must not leave the hogs spinning
        for hog in hogs:
            hog.kill()
            hog.wait()
    reader.join()
    updates, final = progress_updates(lines)
    after = [(t, (eta - (final - t)) / (final - t)) for t, eta in updates
             if eta is not None and hog_at <= t <= LAST_SHARE * final]
    unsettled = [t for t, error in after if abs(error) > SETTLED]
    return {
        "elapsed_s": final,
        "hog_started": bool(hogs),
        "settled_after_s": None if not hogs else (max(unsettled) - hog_at) if unsettled else 0.0,
        "errors_after": [(round(t, 2), round(error, 4)) for t, error in after],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=800,
                        help="documents (default 800: about 4 minutes, most of it after the "
                             "hogs start; the ETA needs a minute or two of work to follow)")
    parser.add_argument("--hog-at", type=float, default=15.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--save", default="eta_slowdown")
    options = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    folder = ensure_copies(options.copies)
    runs = []
    for run in range(options.runs):
        row = run_once(folder, options.hog_at)
        runs.append(row)
        shown = " ".join(f"{t:.0f}:{error:+.0%}" for t, error in row["errors_after"][::8])
        print(f"  run {run + 1}: {row['elapsed_s']:.1f} s; error after the hogs: {shown}; "
              f"within 10% from {fmt(row['settled_after_s'], 0)} s after", flush=True)
    timed = [row["settled_after_s"] for row in runs if row["settled_after_s"] is not None]
    if not timed:
        sys.exit(f"the batch ended before {options.hog_at} s: use more --copies")
    settled = median(timed)
    print(f"median: within 10% from {fmt(settled, 0)} s after the hogs started", flush=True)
    save(options.save, {"copies": options.copies, "pages": PAGES, "hog_at_s": options.hog_at,
                        "runs": runs, "median_settled_after_s": settled})
    return 0


if __name__ == "__main__":
    sys.exit(main())
