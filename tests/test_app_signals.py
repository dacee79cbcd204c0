"""The app in a real terminal (a pty) losing that terminal or told to stop.

A dropped ssh connection closes the terminal and the kernel sends SIGHUP; a
service manager sends SIGTERM. Either way the batch must end with a report
that says `interrupted`, and no worker process may outlive the app.
"""

from __future__ import annotations

import json
import os
import pty
import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from pdfs import make_folder

TESTS = Path(__file__).parent


class TerminalApp:
    """`docpool FOLDER ...` running on its own pty, as over ssh."""

    def __init__(self, *arguments: str) -> None:
        env = {
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(TESTS),
            "TERM": "xterm-256color",
            "HOME": os.environ.get("HOME", "/tmp"),
        }
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes the app
            os.execve(sys.executable, [sys.executable, "-m", "tui", *arguments], env)
        self.screen = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.screen.extend(chunk)

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def hang_up(self) -> None:
        os.close(self.fd)

    def wait(self, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError(f"the app did not end within {seconds} s")


def wait_until(condition, seconds: float = 30.0, every: float = 0.1) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError("condition not met in time")


def journal_records(output: Path) -> int:
    try:
        return max(0, len((output / "docpool-journal.jsonl").read_bytes().splitlines()) - 1)
    except OSError:
        return 0


def start_batch(tmp_path: Path) -> tuple[TerminalApp, Path, list[int]]:
    folder = make_folder(tmp_path / "in", good=40)
    output = tmp_path / "out"
    app = TerminalApp(str(folder), "-w", "2", "-o", str(output), "--processor", "faulty:slow")
    wait_until(lambda: b"Start" in app.screen)
    # Start is focused: Enter starts. Press again until the batch is under way.
    wait_until(lambda: app.type(b"\r") or journal_records(output) >= 2, every=0.5)
    workers = [
        child.pid for child in psutil.Process(app.pid).children(recursive=True)
        if child.name().startswith("python") or "docpool" in child.name()
    ]
    return app, output, workers


@pytest.mark.parametrize("how", ["hangup", "sigterm"])
def test_losing_the_terminal_still_writes_an_interrupted_report(tmp_path, how):
    app, output, workers = start_batch(tmp_path)
    if how == "hangup":
        app.hang_up()
    else:
        os.kill(app.pid, signal.SIGTERM)
    assert app.wait(30) == 130
    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "interrupted"
    assert report["totals"]["not_processed"] > 0
    wait_until(lambda: not [pid for pid in workers if psutil.pid_exists(pid)
                            and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE], 10)
