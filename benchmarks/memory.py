"""Peak RSS of the controller process, 1,000 against 100,000 documents.

    python benchmarks/memory.py                 # docpool and the seed processor
    python benchmarks/memory.py --large 20000   # a quicker look

The documents are hard links of one tiny PDF and the processor does nothing
(`trivial:noop`), so only the controller's bookkeeping grows. Each run is a
fresh interpreter that runs the tool in-process (`tui.cli.main`, or the seed
script through runpy) and then reads getrusage(RUSAGE_SELF).ru_maxrss: the
controller's own peak, not its workers' (RUSAGE_CHILDREN would add those).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HERE, PYTHON, WORK, fmt, fresh, median, save, start  # noqa: E402
from make_corpus import ensure_corpus  # noqa: E402


def child(tool: str, folder: str, output: str, result: str) -> None:
    """Run one tool in this process and write its peak RSS to `result`."""
    import resource
    import runpy

    started = time.perf_counter()
    if tool.startswith("docpool"):
        from tui.cli import main

        main(["run", folder, "-o", output, "--overwrite", "-w", "2", "--progress", "none",
              "--processor", "trivial:noop"])
    else:
        sys.argv = [str(HERE / "seed_processor.py"), folder, "-o", output, "-w", "2",
                    "--processor", "trivial:noop"]
        runpy.run_path(sys.argv[0], run_name="__main__")
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(result).write_text(json.dumps({"peak_rss_bytes": peak, "seconds": seconds}))


def measure(tool: str, folder: Path) -> dict:
    output = fresh(WORK / f"out-memory-{tool}")
    result = WORK / "memory-result.json"
    result.unlink(missing_ok=True)
    process = start([PYTHON, __file__, "--child", tool, str(folder), str(output), str(result)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    process.wait()
    return json.loads(result.read_text())


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:6])
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="runs per size (median)")
    parser.add_argument("--tools", default="docpool,seed")
    parser.add_argument("--save", default="memory")
    options = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    for tool in options.tools.split(","):
        results[tool] = {}
        for n in (options.small, options.large):
            folder = WORK / f"tiny-{n}"
            ensure_corpus(folder, n, tiny=True)
            runs = [measure(tool, folder) for _ in range(options.runs)]
            peak = median([r["peak_rss_bytes"] for r in runs])
            results[tool][str(n)] = {"peak_rss_bytes": peak, "runs": runs}
            print(f"{tool} {n} documents: peak RSS {peak / 2**20:.1f} MiB "
                  f"({median([r['seconds'] for r in runs]):.1f} s)", flush=True)
        small = results[tool][str(options.small)]["peak_rss_bytes"]
        large = results[tool][str(options.large)]["peak_rss_bytes"]
        results[tool]["growth"] = large / small
        print(f"{tool}: {options.large} vs {options.small} documents: "
              f"{fmt(large / small, 3)}x", flush=True)
    save(options.save, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
