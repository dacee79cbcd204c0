"""How well a running document's time left can be told from its own pages.

    python benchmarks/page_pace.py                 # the shared corpus's documents of 8+ pages
    python benchmarks/page_pace.py FOLDER --min-pages 20

When one long document sets the end of a batch (the shared corpus: one
117-page file is 8.5 s of a 9 s run), the batch's ETA can be no better than
the estimate of that document's time left. This times every page's text
extraction, one document at a time, then replays each document and asks
several estimators, at every 0.5% of its duration from 10% to 90%, how long
it has left, using only what a worker knows at that moment: the pages done,
their times, and each page's weight in the file: its content streams and
the forms it names (`tui.page_weights`, what the workers use). The error is
|estimate - true| / true, as in eta_accuracy.py.

- pace: the seconds per page since page one, times the pages left.
- bytes: the seconds per byte of that weight since page one, times the
  bytes left.
- mix: the mean of pace and bytes (what docpool's workers report).
- line: seconds = a + b * content bytes per page, least squares on the
  pages done.
- recent: the pace of the most recent half of the pages done.
- ewma: an exponentially weighted mean page time (half-life 30 pages).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_CORPUS, save  # noqa: E402

LOW, HIGH, STEP = 0.10, 0.90, 0.005

# An estimator: (page times done, content sizes of all pages, seconds into the
# current page) -> seconds left.
Estimator = Callable[[Sequence[float], Sequence[int], float], float]


def time_pages(path: Path) -> tuple[list[float], list[int]] | None:
    from pypdf import PdfReader

    from tui.page_weights import content_sizes

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return None
        pages = list(reader.pages)
        sizes = content_sizes(reader, path.stat().st_size)  # what the workers weigh
        if sizes is None:
            return None
        times = []
        for page in pages:
            started = time.perf_counter()
            page.extract_text()
            times.append(time.perf_counter() - started)
        return times, sizes
    except Exception:  # noqa: BLE001 - a broken file is not a subject here
        return None


def pace(done: Sequence[float], sizes: Sequence[int], into: float) -> float:
    p, n = len(done), len(sizes)
    return (sum(done[1:]) + into) / (p - 1) * (n - p) - into


def by_bytes(done: Sequence[float], sizes: Sequence[int], into: float) -> float:
    p = len(done)
    done_bytes = sum(sizes[1:p])
    if not done_bytes:
        return pace(done, sizes, into)
    return (sum(done[1:]) + into) / done_bytes * sum(sizes[p:]) - into


def mix(done: Sequence[float], sizes: Sequence[int], into: float) -> float:
    return (pace(done, sizes, into) + by_bytes(done, sizes, into)) / 2


def line(done: Sequence[float], sizes: Sequence[int], into: float) -> float:
    p = len(done)
    xs, ys = sizes[1:p], done[1:]
    if len(xs) < 3:
        return pace(done, sizes, into)
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx <= 0:
        return pace(done, sizes, into)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    if a < 0:
        a, b = 0.0, sum(ys) / max(sum(xs), 1)
    if b < 0:
        a, b = my, 0.0
    return sum(a + b * size for size in sizes[p:]) - into


def recent(done: Sequence[float], sizes: Sequence[int], into: float) -> float:
    p, n = len(done), len(sizes)
    window = done[max(1, p - max(2, (p - 1) // 2)):]
    return (sum(window) + into) / len(window) * (n - p) - into


def ewma(done: Sequence[float], sizes: Sequence[int], into: float) -> float:
    keep = 0.5 ** (1 / 30)
    total = weight = 0.0
    for seconds in done[1:]:
        total, weight = total * keep + seconds, weight * keep + 1.0
    return total / weight * (len(sizes) - len(done)) - into


ESTIMATORS: dict[str, Estimator] = {
    "pace": pace, "bytes": by_bytes, "mix": mix, "line": line, "recent": recent, "ewma": ewma,
}


def replay(times: Sequence[float], sizes: Sequence[int], estimate: Estimator) -> list[float]:
    """Relative errors of `estimate` at every STEP of the document's duration."""
    total = sum(times)
    ends = [0.0]
    for seconds in times:
        ends.append(ends[-1] + seconds)
    errors, t, p = [], LOW * total, 0
    while t <= HIGH * total:
        while p < len(times) and ends[p + 1] <= t:
            p += 1
        if p >= 2:
            left = max(estimate(times[:p], sizes, t - ends[p]), 0.0)
            errors.append(abs(left - (total - t)) / (total - t))
        t += STEP * total
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path, default=SHARED_CORPUS)
    parser.add_argument("--min-pages", type=int, default=8)
    parser.add_argument("--save", default="page_pace")
    options = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    import logging

    logging.disable(logging.CRITICAL)
    results = {}
    for path in sorted(options.folder.rglob("*")):
        if not path.name.lower().endswith(".pdf") or not path.is_file():
            continue
        timed = time_pages(path)
        if timed is None or len(timed[0]) < options.min_pages:
            continue
        times, sizes = timed
        row = {"pages": len(times), "seconds": round(sum(times), 3)}
        for name, estimate in ESTIMATORS.items():
            errors = sorted(replay(times, sizes, estimate))
            row[name] = {"median": statistics.median(errors),
                         "p90": errors[int(0.9 * (len(errors) - 1))]}
        results[str(path.relative_to(options.folder))] = row
        print(f"{path.name} ({row['pages']} pages, {row['seconds']} s): " + "; ".join(
            f"{name} {row[name]['median']:.3f}/{row[name]['p90']:.3f}" for name in ESTIMATORS),
            flush=True)
    save(options.save, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
