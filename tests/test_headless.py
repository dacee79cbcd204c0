"""`docpool run` as a user runs it: a subprocess, its exit code, its output, its report."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from pdfs import make_broken, make_encrypted, make_folder, make_pdf
from test_recovery import ROOT
from tui.events import Progress, ProgressSnapshot, Totals
from tui.headless import ProgressPrinter, progress_bar, progress_fields, progress_line

TESTS = Path(__file__).parent


def docpool(*arguments: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tui", *arguments],
        capture_output=True, text=True, timeout=timeout, cwd=cwd,
        env={"PYTHONPATH": str(TESTS), "PATH": "/usr/bin:/bin"},
    )


def test_all_good_exits_0_and_writes_the_report(tmp_path):
    folder = make_folder(tmp_path / "in", good=4)
    output = tmp_path / "out"
    result = docpool("run", str(folder), "-o", str(output), "-w", "2", "--progress", "none")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "completed: 4 succeeded, 0 failed" in result.stdout
    assert f"report: {output / 'report.json'}" in result.stdout
    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "completed"
    assert report["workers"] == 2
    assert report["processor"] == "text"
    for field in ("folder", "started_at", "finished_at", "elapsed_seconds", "errors", "totals"):
        assert field in report
    for field in ("discovered", "succeeded", "failed", "skipped", "not_processed", "pages", "bytes",
                  "docs_per_second", "pages_per_second", "bytes_per_second"):
        assert field in report["totals"]


def test_a_failed_document_exits_1_and_is_named(tmp_path):
    folder = make_folder(tmp_path / "in", good=2, broken=1)
    result = docpool("run", str(folder), "-o", str(tmp_path / "out"), "--progress", "lines")
    assert result.returncode == 1
    assert "failed: broken-000.pdf:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failure_line_names_its_error_once(tmp_path):
    folder = make_folder(tmp_path / "in", good=1, broken=1)
    make_encrypted(folder / "locked.pdf")
    result = docpool("run", str(folder), "-o", str(tmp_path / "out"), "--progress", "lines")
    assert result.returncode == 1
    assert "failed: locked.pdf: encrypted: password required\n" in result.stderr
    assert "failed: broken-000.pdf: PdfStreamError: Stream has ended unexpectedly\n" in result.stderr


def test_default_output_is_docpool_out_in_the_current_folder(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    result = docpool("run", str(folder), "--progress", "none", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "docpool-out" / "report.json").is_file()
    assert (tmp_path / "docpool-out" / "doc-000.pdf.txt").is_file()


def test_report_option_moves_all_three_files(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    report = tmp_path / "reports" / "nightly.json"
    result = docpool("run", str(folder), "-o", str(tmp_path / "out"), "--report", str(report),
                     "--progress", "none")
    assert result.returncode == 0, result.stderr
    assert report.is_file()
    assert report.with_suffix(".csv").is_file()
    assert report.with_suffix(".md").is_file()


def test_info_processor_records_metadata_without_text(tmp_path):
    folder = tmp_path / "in"
    make_pdf(folder / "a.pdf", pages=2)
    output = tmp_path / "out"
    result = docpool("run", str(folder), "-o", str(output), "--processor", "info", "--progress", "none")
    assert result.returncode == 0, result.stderr
    assert not (output / "a.pdf.txt").exists()
    record = json.loads((output / "docpool-journal.jsonl").read_text().splitlines()[1])
    assert record["data"]["pages"] == 2
    assert record["pages"] == 2


def test_user_processor_result_lands_in_the_record(tmp_path):
    folder = make_folder(tmp_path / "in", good=2)
    output = tmp_path / "out"
    result = docpool("run", str(folder), "-o", str(output), "--processor", "faulty:pid",
                     "--progress", "none")
    assert result.returncode == 0, result.stderr
    lines = (output / "docpool-journal.jsonl").read_text().splitlines()[1:]
    assert all("pid" in json.loads(line)["data"] for line in lines)


def test_300_workers_on_three_documents_start_three_processes(tmp_path):
    folder = make_folder(tmp_path / "in", good=3)
    output = tmp_path / "out"
    result = docpool("run", str(folder), "-o", str(output), "-w", "300",
                     "--processor", "faulty:siblings", "--progress", "none")
    assert result.returncode == 0, result.stderr
    assert "completed: 3 succeeded, 0 failed" in result.stdout
    lines = (output / "docpool-journal.jsonl").read_text().splitlines()[1:]
    data = [json.loads(line)["data"] for line in lines]
    assert len(data) == 3
    assert len({d["pid"] for d in data}) <= 3
    assert max(d["workers"] for d in data) <= 3, "worker processes alive while the batch ran"


def test_user_processor_from_the_current_folder(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    (tmp_path / "mine.py").write_text("def count(path):\n    return {'size': path.stat().st_size}\n")
    result = docpool("run", str(folder), "-o", "out", "--processor", "mine:count",
                     "--progress", "none", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "out" / "docpool-journal.jsonl").read_text().splitlines()[1])
    assert record["data"]["size"] == (folder / "doc-000.pdf").stat().st_size


def test_json_progress_lines_are_what_monitoring_reads(tmp_path):
    folder = make_folder(tmp_path / "in", good=8)
    result = docpool("run", str(folder), "-o", str(tmp_path / "out"), "--progress", "json",
                     "--processor", "faulty:slow", "-w", "2")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stderr.splitlines()]
    assert len(objects) >= 2
    for fields in objects:
        for key in ("elapsed_s", "done", "total", "failed", "eta_s", "docs_per_s", "bytes_per_s"):
            assert key in fields
    assert objects[-1]["status"] == "completed"
    assert objects[-1]["done"] == objects[-1]["total"] == 8
    elapsed = objects[-1]["elapsed_s"]
    assert len(objects) <= elapsed * 4 + 3, "at most a few lines a second"


def test_lines_progress_is_plain_text(tmp_path):
    folder = make_folder(tmp_path / "in", good=2)
    result = docpool("run", str(folder), "-o", str(tmp_path / "out"), "--progress", "auto")
    assert result.returncode == 0
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert "completed: 2/2 done, 0 failed" in result.stderr


def test_bar_progress_redraws_one_line(tmp_path):
    folder = make_folder(tmp_path / "in", good=2)
    result = subprocess.run(
        [sys.executable, "-m", "tui", "run", str(folder), "-o", str(tmp_path / "out"),
         "--progress", "bar"],
        capture_output=True, timeout=60,
    )
    assert result.returncode == 0
    assert b"\r" in result.stderr
    assert result.stderr.count(b"\n") == 1


def test_missing_folder_is_one_line_and_exit_2(tmp_path):
    result = docpool("run", str(tmp_path / "nope"), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("docpool: error: folder not found")


def test_unwritable_output_is_exit_2(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    blocker = make_broken(tmp_path / "file-not-folder")
    result = docpool("run", str(folder), "-o", str(blocker / "out"))
    assert result.returncode == 2
    assert "cannot write to output folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_values_are_usage_errors(tmp_path):
    for arguments in (["-w", "0"], ["--timeout", "-3"], ["--progress", "loud"], ["-w", "many"]):
        result = docpool("run", str(tmp_path), *arguments)
        assert result.returncode == 2, arguments
        assert "Traceback" not in result.stderr


def test_help_names_the_commands_and_exit_codes():
    top = docpool("--help")
    assert top.returncode == 0
    assert "docpool run FOLDER" in top.stdout
    run = docpool("run", "--help")
    for option in ("--workers", "--output", "--report", "--timeout", "--processor", "--progress", "130"):
        assert option in run.stdout


def test_shared_corpus_fails_only_its_broken_and_locked_files(corpus, tmp_path):
    output = tmp_path / "out"
    result = docpool("run", str(corpus), "-o", str(output), "--progress", "none", timeout=300)
    assert result.returncode == 1, result.stderr
    report = json.loads((output / "report.json").read_text())
    totals = report["totals"]
    manifest = (corpus / "MANIFEST.tsv").read_text().splitlines()[1:]
    assert totals["discovered"] == len(manifest)
    assert totals["succeeded"] + totals["failed"] + totals["skipped"] + totals["not_processed"] == totals["discovered"]
    errors = {error["path"]: error for error in report["errors"]}
    assert len(errors) == totals["failed"] == len(report["errors"])
    locked = [p for p in errors if errors[p]["error"] == "encrypted"]
    assert "nested/deeper/pypdf-encryption/r2-user-password.pdf" in locked
    assert "nested/deeper/pypdf-encryption/r6-empty-password.pdf" not in errors
    assert errors["qpdf-malformed/bad1.pdf"]["error"] != "encrypted"
    assert totals["succeeded"] >= 80


def _snapshot(discovered, eta) -> ProgressSnapshot:
    return ProgressSnapshot(
        elapsed=65.0, totals=Totals(discovered=discovered, succeeded=40, failed=2),
        in_flight=(), workers=2, paused=False, eta_seconds=eta,
        docs_per_second=1.5, pages_per_second=3.0, bytes_per_second=2048.0, now=65.0,
    )


def test_progress_formats_say_unknown_rather_than_wrong():
    unknown = _snapshot(None, None)
    assert progress_fields(unknown)["total"] is None
    assert progress_fields(unknown)["eta_s"] is None
    assert "42/? done" in progress_line(unknown)
    assert "estimating" in progress_bar(unknown)
    known = _snapshot(84, 90.0)
    assert "42/84" in progress_bar(known) and "50.0%" in progress_bar(known)
    assert "eta 1m 30s" in progress_line(known)


def test_a_newline_in_a_failed_name_stays_on_one_line(tmp_path):
    folder = tmp_path / "in"
    make_broken(folder / "two\nlines.pdf")
    result = docpool("run", str(folder), "-o", str(tmp_path / "out"), "--progress", "lines")
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert failed == [failed[0]] and "two\\nlines.pdf" in failed[0]


@pytest.mark.parametrize(
    "redirection", ["2>&-", ">&-", "<&-", ">/dev/full", "2>/dev/full"],
    ids=["stderr closed", "stdout closed", "stdin closed", "stdout full", "stderr full"],
)
def test_closed_or_full_standard_streams_change_nothing(tmp_path, redirection):
    folder = make_folder(tmp_path / "in", good=3)
    output = tmp_path / "out"
    command = f'"{sys.executable}" -m tui run "{folder}" -o "{output}" --progress lines {redirection}'
    run = subprocess.run(
        ["sh", "-c", command], capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr
    report = json.loads((output / "report.json").read_text())
    assert report["totals"]["succeeded"] == 3
    assert all(json.loads(line) for line in (output / "docpool-journal.jsonl").read_text().splitlines())


def test_the_bar_fits_a_narrow_terminal():
    """At 40 columns a full bar would wrap, and each redraw would add a line."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 40, 0, 0))
    with open(slave, "w", encoding="utf-8", closefd=True) as stream:
        ProgressPrinter("bar", stream, clock=lambda: 100.0).show(Progress(_snapshot(84, 90.0)))
    drawn = os.read(master, 4096).decode()
    os.close(master)
    line = drawn.replace("\r", "").replace("\x1b[K", "")
    assert 0 < len(line) < 40, repr(drawn)


def test_a_refused_rerun_prints_the_flags_word_for_word(tmp_path):
    """The app words these fixes with its own controls; `docpool run` keeps the flags."""
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"
    assert docpool("run", str(folder), "-o", str(output), "--progress", "none").returncode == 0
    again = docpool("run", str(folder), "-o", str(output), "--progress", "none")
    assert again.returncode == 2
    assert again.stderr == (
        f"docpool: error: {output} already holds a docpool run: "
        "use --resume to continue it or --overwrite to start again\n"
    )
    (tmp_path / "crowded").mkdir()
    (tmp_path / "crowded" / "notes.txt").write_text("mine")
    crowded = docpool("run", str(folder), "-o", str(tmp_path / "crowded"), "--progress", "none")
    assert crowded.stderr == (
        f"docpool: error: {tmp_path / 'crowded'} already holds other files: choose an empty or new "
        "output folder, or --overwrite to write into it anyway (files with the same names are replaced)\n"
    )
