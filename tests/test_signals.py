"""Signals: SIGINT, SIGTERM and SIGHUP stop `docpool run` quickly, in order, with a report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from faulty import MARKS_VARIABLE
from test_recovery import ROOT, docpool, journal_lines, many_pdfs, marks, wait_for
from tui.pool import live_processes

WORKERS = 2
STOP_SECONDS = 2.0


def start_busy(tmp_path: Path, **options):
    """`docpool run` with every worker stuck in a document; return it and its helper pids."""
    folder, output = tmp_path / "in", tmp_path / "out"
    many_pdfs(folder, 12)
    marked = tmp_path / "marks"
    run = docpool(
        folder, "-o", output, "-w", WORKERS, "--processor", "faulty:mark",
        env={MARKS_VARIABLE: str(marked), "DOCPOOL_TEST_SECONDS": "3600"}, **options,
    )
    wait_for(lambda: len(marks(marked)) >= WORKERS, 30, "every worker to be busy")
    helpers = [child.pid for child in psutil.Process(run.pid).children(recursive=True)]
    return run, output, helpers


def stop_and_wait(run, send) -> float:
    started = time.monotonic()
    send()
    run.communicate(timeout=30)
    return time.monotonic() - started


def assert_stopped_in_order(run, output: Path, helpers: list[int], seconds: float) -> None:
    assert run.returncode == 130
    assert seconds < STOP_SECONDS, f"took {seconds:.2f} s to stop"
    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "interrupted"
    totals = report["totals"]
    assert totals["discovered"] == 12 and totals["not_processed"] == 12
    assert report["errors"] == [], "no document is blamed for the stop"
    assert journal_lines(output) == []
    assert not [p for p in output.iterdir() if p.name.startswith(".tmp-")]
    wait_for(lambda: live_processes(helpers) == [], 3, "every helper process to exit")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_controller_stops_the_batch_with_a_report(tmp_path, signum):
    run, output, helpers = start_busy(tmp_path)
    seconds = stop_and_wait(run, lambda: os.kill(run.pid, signum))
    assert_stopped_in_order(run, output, helpers, seconds)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_to_the_whole_job_stops_the_batch_with_a_report(tmp_path, signum):
    """Ctrl+C, a dropped ssh session or `kill -- -PGID` reach the workers and helpers too."""
    run, output, helpers = start_busy(tmp_path, start_new_session=True)
    seconds = stop_and_wait(run, lambda: os.killpg(run.pid, signum))
    assert_stopped_in_order(run, output, helpers, seconds)


def test_a_second_ctrl_c_while_stopping_leaves_a_whole_report(tmp_path):
    run, output, helpers = start_busy(tmp_path)

    def twice() -> None:
        os.kill(run.pid, signal.SIGINT)
        time.sleep(0.03)  # the second lands while the first is still being handled
        os.kill(run.pid, signal.SIGINT)

    seconds = stop_and_wait(run, twice)
    assert_stopped_in_order(run, output, helpers, seconds)
    for name in ("report.json", "report.csv", "report.md"):
        assert (output / name).stat().st_size > 0


def ignoring(signum: int):
    """A preexec_fn: the child starts with `signum` ignored, as under nohup or `cmd &`."""
    return lambda: signal.signal(signum, signal.SIG_IGN)


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT], ids=["nohup", "background job"])
def test_a_signal_ignored_when_docpool_started_stays_ignored(tmp_path, signum):
    folder, output = tmp_path / "in", tmp_path / "out"
    many_pdfs(folder, 12)
    marked = tmp_path / "marks"
    run = docpool(
        folder, "-o", output, "-w", WORKERS, "--processor", "faulty:mark",
        env={MARKS_VARIABLE: str(marked), "DOCPOOL_TEST_SECONDS": "0.2"},
        preexec_fn=ignoring(signum), start_new_session=True,
    )
    wait_for(lambda: len(marks(marked)) >= 1, 30, "the first document to start")
    os.killpg(run.pid, signum)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, out + err
    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "completed" and report["totals"]["succeeded"] == 12


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_start_up_still_stops_with_a_report(tmp_path, signum):
    """The signal lands before the engine is even imported: no traceback, a report."""
    folder, output = tmp_path / "in", tmp_path / "out"
    many_pdfs(folder, 5)
    script = (
        "import os, sys\n"
        "from tui import stop_signals\n"
        "stop_signals.catch_early()\n"
        f"os.kill(os.getpid(), {int(signum)})\n"
        "from tui.cli import main\n"
        f"sys.exit(main(['run', {str(folder)!r}, '-o', {str(output)!r}, '--progress', 'none']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert run.returncode == 130, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "interrupted"
    assert report["totals"]["not_processed"] == 5
