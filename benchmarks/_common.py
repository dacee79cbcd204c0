"""Shared helpers: run and time commands, summarise, describe the machine, save results."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED_CORPUS = Path(os.environ.get("DOCPOOL_SHARED_CORPUS", REPO.parent / "shared" / "corpus"))
"""The real-world PDFs beside the checkout (../shared/corpus), or where
DOCPOOL_SHARED_CORPUS says: a worktree elsewhere has none beside it."""
WORK = Path(os.environ.get("DOCPOOL_BENCH_DIR", "/tmp/docpool-bench"))
RESULTS = HERE / "results"
PYTHON = sys.executable


def shared_corpus() -> tuple[Path, dict]:
    """The shared corpus and what it holds, or exit with a one-line reason."""
    if not SHARED_CORPUS.is_dir():
        sys.exit(f"no shared corpus at {SHARED_CORPUS}: set DOCPOOL_SHARED_CORPUS, "
                 "or choose another --corpus")
    pdfs = [p for p in SHARED_CORPUS.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file()]
    return SHARED_CORPUS, {"documents": len(pdfs), "bytes": sum(p.stat().st_size for p in pdfs),
                           "folder": str(SHARED_CORPUS)}


def tiny_corpus(n: int = 5000) -> Path:
    """The folder of n one-page PDFs in WORK, made on first use."""
    from make_corpus import ensure_corpus

    folder = WORK / f"tiny-{n}"
    ensure_corpus(folder, n, tiny=True)
    return folder


def folder_options(
    doc: str | None, argv: list[str] | None, *, save: str, runs: int | None = None
) -> tuple[argparse.Namespace, Path]:
    """Parse a tiny-corpus benchmark's options (`--folder`, `--save`, and
    `--runs` when `runs` is given) and return them with the folder to use."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if runs is not None:
        parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--folder", type=Path, help="a folder of PDFs (default: the tiny corpus)")
    parser.add_argument("--save", default=save, help="results/NAME.json")
    options = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    return options, options.folder or tiny_corpus()


def env() -> dict[str, str]:
    """The environment for child commands: benchmarks/ importable (trivial:noop)."""
    environment = dict(os.environ)
    path = environment.get("PYTHONPATH", "")
    environment["PYTHONPATH"] = str(HERE) + (os.pathsep + path if path else "")
    environment["PYTHONWARNINGS"] = "ignore"
    return environment


TRASH = WORK / f".trash-{os.getpid()}"
"""Where this process's old outputs go until it exits (see `fresh`)."""
LAST_DELETION = WORK / ".last-deletion"
QUIET_AFTER_DELETION_SECONDS = 65.0
"""ext4 without a journal (this machine's disk) will not reuse an inode freed
in the last 60 seconds, and checks each such inode, one by one, every time it
creates a file in that inode's block group (the kernel's `recently_deleted`).
A tool timed right after the previous tool's 5,000 texts were deleted paid up
to 0.3 ms of system time per text it wrote (BENCHMARKS.md, thirteenth round)."""


def fresh(path: Path) -> Path:
    """`path`, not there: an earlier output is moved into TRASH, not deleted,
    so that no timed run creates files beside inodes freed a moment ago.
    TRASH is emptied when the benchmark exits; a run that follows a deletion
    waits until its inodes may be reused (`wait_out_deletions`)."""
    wait_out_deletions()
    if path.exists():
        TRASH.mkdir(parents=True, exist_ok=True)
        path.rename(TRASH / f"{path.name}-{time.time_ns()}")
    return path


def remove_tree(path: Path) -> None:
    """Delete `path` now, and note when, so the next timed run waits it out."""
    if path.exists():
        shutil.rmtree(path)
        LAST_DELETION.parent.mkdir(parents=True, exist_ok=True)
        LAST_DELETION.write_text(str(time.time()))


_trash_checked = False


def _empty_trash_once() -> None:
    """On first use: empty what interrupted benchmarks left in their TRASH,
    and have this process empty its own when it exits."""
    global _trash_checked
    if _trash_checked:
        return
    _trash_checked = True
    from tui.pool import live_processes

    for trash in WORK.glob(".trash-*"):
        owner = trash.name.removeprefix(".trash-")
        if owner.isdigit() and not live_processes([int(owner)]):
            remove_tree(trash)
    import atexit

    atexit.register(remove_tree, TRASH)


def wait_out_deletions() -> None:
    """Sleep until QUIET_AFTER_DELETION_SECONDS have passed since the last
    deletion a benchmark made (an earlier script's TRASH, a remade corpus)."""
    _empty_trash_once()
    try:
        deleted = float(LAST_DELETION.read_text())
    except (OSError, ValueError):
        return
    left = deleted + QUIET_AFTER_DELETION_SECONDS - time.time()
    if left > 0:
        print(f"waiting {left:.0f} s: files were deleted {time.time() - deleted:.0f} s ago",
              file=sys.stderr, flush=True)
        time.sleep(left)


def settle_disk() -> None:
    """Move every tool's output aside and write back what is dirty before timing the next.

    Otherwise the tool that follows the ideal (two loops: twice the files)
    pays for that write-back. Outputs are moved, not deleted: see `fresh`."""
    wait_out_deletions()
    for out in WORK.glob("out-*"):
        fresh(out)
    os.sync()
    time.sleep(1.0)


class ForeignLoad:
    """The share of the machine that processes other than ours used during a measurement.

    The machine is shared (other people's test runs). A thread samples every
    process's CPU time once a second; a process is ours if this benchmark is
    among its ancestors. Reported beside each figure so that a noisy run can be
    recognised; it does not change the figure. `root` names another process
    whose descendants count as ours (default: this one).
    """

    def __init__(self, root: int | None = None) -> None:
        self.root = os.getpid() if root is None else root

    def __enter__(self) -> "ForeignLoad":
        import threading

        self._stop = threading.Event()
        self._foreign = 0.0
        self._ours: set[int] = set()
        self._seen: dict[int, float] = self._sample()
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._tick()
        wall = time.perf_counter() - self._started
        self.share = self._foreign / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            self._tick()

    def _tick(self) -> None:
        now = self._sample()
        for pid, cpu in now.items():
            self._foreign += max(0.0, cpu - self._seen.get(pid, 0.0))
        self._seen.update(now)

    def _sample(self) -> dict[int, float]:
        """CPU seconds of every process not descended from `root` (one pass
        over /proc with cached fields, so the sampler itself costs little).

        A process once seen descended from `root` stays ours: docpool's
        forkserver outlives the controller by a few milliseconds, orphaned,
        and was counted foreign with all its CPU (about 2% of the machine
        in a 6 s run, thirteenth and fourteenth rounds' `foreign_docpool`)."""
        import psutil

        parent: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for process in psutil.process_iter(["ppid", "cpu_times"]):
            info = process.info
            if info["cpu_times"] is None:
                continue
            parent[process.pid] = info["ppid"]
            cpu[process.pid] = info["cpu_times"].user + info["cpu_times"].system
        me = self.root
        foreign = {}
        for pid, seconds in cpu.items():
            if pid in self._ours:
                continue
            ancestor, hops = pid, 0
            while ancestor not in (me, 0, 1) and hops < 64:
                ancestor, hops = parent.get(ancestor, 0), hops + 1
            if ancestor == me:
                self._ours.add(pid)
            else:
                foreign[pid] = seconds
        return foreign


def timed(command: list[str], *, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
          check: bool = True, **kwargs) -> float:
    started = time.perf_counter()
    completed = subprocess.run(command, stdout=stdout, stderr=stderr, env=env(), **kwargs)
    seconds = time.perf_counter() - started
    if check and completed.returncode not in (0, 1):
        raise RuntimeError(f"{command[:4]}... exited {completed.returncode}")
    return seconds


def timed_cpu(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of that process alone): user + system time
    from wait4, which counts the children it reaped too. docpool's workers are
    the forkserver's children, never the controller's, so for `docpool run`
    this is the controller's own CPU."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=env())
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command[:4]}... exited {process.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime


def start(command: list[str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(command, env=env(), **kwargs)


def docpool(folder: Path, output: Path, *extra: str) -> list[str]:
    """`docpool run` as a command. `-P`: without it `python -m` puts the current
    folder first on sys.path, and a run from the repository root with
    PYTHONPATH set to another checkout would measure this one's `tui/`."""
    return [PYTHON, "-P", "-m", "tui", "run", str(folder), "-o", str(output), "--overwrite",
            *extra]


def progress_updates(lines) -> tuple[list[tuple[float, float | None]], float]:
    """`docpool run --progress json` lines: ((elapsed, ETA or None) per update,
    the final line's elapsed seconds). Lines that are not JSON are skipped."""
    updates, final = [], None
    for line in lines:
        try:
            fields = json.loads(line)
        except ValueError:
            continue
        if "status" in fields:
            final = fields["elapsed_s"]
        else:
            updates.append((fields["elapsed_s"], fields["eta_s"]))
    assert final is not None, "no final progress line"
    return updates, final


def median(values):
    return statistics.median(values) if values else None


def print_run(number: int, row: dict) -> None:
    """One run's figures on one line, as they come (`number` from 0)."""
    print(f"run {number + 1}: " + ", ".join(f"{k}={fmt(v, 3)}" for k, v in row.items()),
          flush=True)


def medians(runs: list[dict]) -> dict:
    """Each figure's median over the runs."""
    return {key: median([row[key] for row in runs]) for key in runs[0]}


def percentile(values, q: float):
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def machine() -> dict:
    model = ""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    package = measured_package()
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "memory_gib": round(memory / 1024**3, 1),
        "python": platform.python_version(),
        "commit": subprocess.run(["git", "-C", str(package), "rev-parse", "--short", "HEAD"],
                                 capture_output=True, text=True).stdout.strip(),
        "tui": str(package),
        "tui_sources": sources_digest(package),
    }


def measured_package() -> Path:
    """The `tui/` the benchmarks run: `python -P -m tui` (and this process)
    imports it from PYTHONPATH when that is set, as for a worktree; else the
    installed checkout's. Its commit and hashes are the ones recorded."""
    import importlib.util

    spec = importlib.util.find_spec("tui")
    if spec is None or spec.origin is None:
        return REPO / "tui"
    return Path(spec.origin).resolve().parent


def sources_digest(package: Path) -> dict[str, str]:
    """Short hashes of the modules in `package` that decide the figures: the
    working tree may differ from HEAD while others edit it."""
    import hashlib

    return {
        name: hashlib.sha256((package / name).read_bytes()).hexdigest()[:12]
        for name in ("engine.py", "eta.py", "pool.py", "worker.py", "discover.py", "journal.py",
                     "page_weights.py", "pipe_reader.py", "process_start.py", "forked_server.py",
                     "report.py", "cli.py", "processors.py", "atomic.py")
        if (package / name).exists()
    }


def save(name: str, data: dict) -> Path:
    """Write results/NAME.json, with the machine, and say where."""
    RESULTS.mkdir(exist_ok=True)
    data = {"machine": machine(), **data}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"saved {path}")
    return path


def fmt(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}"
