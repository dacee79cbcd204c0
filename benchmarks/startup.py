"""Start-up: `docpool --help`, and the app's first paint in a real terminal.

    python benchmarks/startup.py [--runs 7]

`--help` is timed as a process's wall time (the installed `docpool` script).
First paint: `docpool FOLDER` runs under a pseudo-terminal (80x24); the time
is from spawning the process to the first output that carries the start
screen's text ("Folder" and "Workers" labels) after the switch to the
alternate screen, i.e. what the user sees appear. Then Ctrl+Q quits it.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SHARED_CORPUS, WORK, env, fmt, median, save  # noqa: E402

DOCPOOL = shutil.which("docpool") or str(Path(sys.executable).parent / "docpool")
MARKERS = (b"Folder", b"Workers")


def help_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([DOCPOOL, "--help"], stdout=subprocess.DEVNULL, check=True, env=env())
    return time.perf_counter() - started


def first_paint_seconds(args: list[str], timeout: float = 20.0) -> float | None:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    environment = {**env(), "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    cwd = WORK / "startup-cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen([DOCPOOL, *args], stdin=slave, stdout=slave, stderr=slave,
                               env=environment, cwd=cwd, start_new_session=True)
    os.close(slave)
    seen = b""
    painted = None
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen += chunk
            screen = seen.partition(b"\x1b[?1049h")[2]
            if all(marker in screen for marker in MARKERS):
                painted = time.perf_counter() - started
                break
        os.write(master, b"\x11")  # Ctrl+Q
        deadline = time.perf_counter() + 5
        while process.poll() is None and time.perf_counter() < deadline:
            if select.select([master], [], [], 0.05)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        os.close(master)
    return painted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--save", default="startup")
    options = parser.parse_args(argv)
    help_seconds()  # warm the file cache once, not timed
    helps = [help_seconds() for _ in range(options.runs)]
    print(f"docpool --help: median {fmt(median(helps), 3)} s "
          f"(min {fmt(min(helps), 3)}, max {fmt(max(helps), 3)})", flush=True)
    results = {"help_s": {"median": median(helps), "runs": helps}}
    for name, args in (("app_folder", [str(SHARED_CORPUS)]), ("app_empty", [])):
        first_paint_seconds(args)  # warm-up
        paints = [first_paint_seconds(args) for _ in range(options.runs)]
        good = [p for p in paints if p is not None]
        results[f"{name}_first_paint_s"] = {"median": median(good), "runs": paints}
        print(f"first paint ({'docpool ' + ' '.join(args) if args else 'docpool'}): median "
              f"{fmt(median(good), 3)} s (min {fmt(min(good, default=None), 3)}, "
              f"max {fmt(max(good, default=None), 3)}; {len(paints) - len(good)} never painted)",
              flush=True)
    save(options.save, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
