"""Hostile input: whatever the folder holds, a correct result or a one-line error, and the batch goes on."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pdfs import (
    make_bomb, make_broken, make_encrypted, make_oversized_text_page, make_pdf, make_truncated,
)
from test_recovery import ROOT, TESTS, docpool, journal_lines, many_pdfs, run_batch
from tui.engine import BatchConfig
from tui.events import DocumentFinished
from tui.journal import journal_path, read_records
from tui.processors import RESERVED_NAMES, text_output_path

MiB = 1024 * 1024


def records_of(events) -> dict[str, object]:
    return {event.record.path: event.record for event in events if isinstance(event, DocumentFinished)}


def report_rows(output: Path) -> list[dict[str, str]]:
    with open(output / "report.csv", newline="", encoding="utf-8", errors="surrogateescape") as file:
        return list(csv.DictReader(file))


def assert_one_line_error(error: str) -> None:
    assert "Traceback" not in error
    assert error.startswith("docpool: error: ") and error.count("\n") == 1, error


def assert_one_line_messages(output: Path) -> None:
    for error in json.loads((output / "report.json").read_text())["errors"]:
        assert error["message"] and "\n" not in error["message"], error
        assert error["error"] not in ("crashed", "timeout", "memory"), error


# The folder itself.


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "no such folder", "folder not found"),
        (lambda tmp: make_pdf(tmp / "a file.pdf"), "not a folder"),
    ],
    ids=["missing", "a file"],
)
def test_a_folder_that_is_not_a_folder_is_one_line(tmp_path, make, message):
    run = docpool(make(tmp_path), "-o", tmp_path / "out")
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2
    assert_one_line_error(err)
    assert message in err


# What the output folder and the report path already hold.


def refused(*arguments: object) -> str:
    run = docpool(*arguments)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 2, err
    assert_one_line_error(err)
    return err


def test_an_output_folder_holding_other_files_is_refused_unless_overwrite(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    make_pdf(folder / "b.pdf")
    output.mkdir()
    (output / "a.pdf.txt").write_text("my notes")
    (output / "keep.txt").write_text("mine")
    assert "already holds other files" in refused(folder, "-o", output)
    assert (output / "a.pdf.txt").read_text() == "my notes"
    assert not (output / "report.json").exists()

    run = docpool(folder, "-o", output, "--overwrite")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, out + err
    assert (output / "keep.txt").read_text() == "mine"
    assert (output / "a.pdf.txt").read_text() != "my notes"


def test_a_refused_overwrite_deletes_nothing(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="text"))
    before = sorted(path.name for path in output.iterdir())
    assert "must name a .json file" in refused(
        folder, "-o", output, "--overwrite", "--report", tmp_path / "report.txt"
    )
    assert sorted(path.name for path in output.iterdir()) == before


def test_a_journal_that_is_not_a_file_is_a_setup_error(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    (output / "docpool-journal.jsonl").mkdir(parents=True)
    assert "is not a file" in refused(folder, "-o", output)


def test_a_report_path_is_checked_before_the_batch_starts(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    assert "cannot write the report" in refused(folder, "-o", output, "--report", "/proc/r.json")
    mine = tmp_path / "reports" / "summary.json"
    mine.parent.mkdir()
    mine.write_text('{"mine": 1}')
    assert "not a docpool report" in refused(folder, "-o", output, "--report", mine)
    assert json.loads(mine.read_text()) == {"mine": 1}
    assert not output.exists() or not list(output.glob("*.txt"))


def test_a_docpool_report_elsewhere_may_be_replaced_by_the_next_run(tmp_path):
    folder = tmp_path / "in"
    make_pdf(folder / "a.pdf")
    report = tmp_path / "reports" / "summary.json"
    for output in (tmp_path / "out-1", tmp_path / "out-2"):
        run = docpool(folder, "-o", output, "--report", report)
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, out + err
    assert json.loads(report.read_text())["output"] == str(tmp_path / "out-2")


def test_a_report_that_cannot_be_written_at_the_end_is_not_exit_0(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    reports = tmp_path / "reports"
    run = docpool(
        folder, "-o", output, "--report", reports / "summary.json", "--processor",
        "faulty:blocks_the_report", env={"DOCPOOL_TEST_REPORT_FOLDER": str(reports)},
    )
    out, err = run.communicate(timeout=60)
    assert run.returncode == 1, out + err
    assert "report: not written" in out and "cannot write the report" in out


@pytest.mark.parametrize("where", [["", "-o", "out"], ["in", "-o", ""]], ids=["folder", "output"])
def test_an_empty_path_is_refused_not_taken_as_the_current_folder(tmp_path, where):
    make_pdf(tmp_path / "in" / "a.pdf")
    (tmp_path / "mine.txt").write_text("mine")
    run = subprocess.run(
        [sys.executable, "-m", "tui", "run", *where], capture_output=True, text=True,
        timeout=60, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert run.returncode == 2 and "empty path" in run.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["in", "mine.txt"]


@pytest.mark.parametrize("content", [None, "notes.txt"], ids=["empty", "no PDFs"])
def test_a_folder_with_nothing_to_do_completes_with_an_empty_report(tmp_path, content):
    folder = tmp_path / "in"
    folder.mkdir()
    if content:
        (folder / content).write_text("not a pdf")
        (folder / "sub").mkdir()
        (folder / "sub" / "picture.png").write_bytes(b"\x89PNG")
    run = docpool(folder, "-o", tmp_path / "out")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, err
    assert "Traceback" not in err
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["status"] == "completed"
    assert report["totals"]["discovered"] == 0


# Permissions. Root reads everything, so these run docpool as `nobody`.


class Unprivileged:
    """How to run docpool as a user that permissions apply to, and a folder it can use."""

    def __init__(self, base: Path, python: str, drop: Callable[[], None] | None) -> None:
        self.base = base
        self.python = python
        self.drop = drop

    def run(self, *arguments: object) -> subprocess.CompletedProcess:
        path = os.pathsep.join([str(TESTS), str(ROOT), sysconfig.get_paths()["purelib"]])
        return subprocess.run(
            [self.python, "-m", "tui", "run", *map(str, arguments), "--progress", "none"],
            env=dict(os.environ, PYTHONPATH=path, HOME=str(self.base)),
            cwd=self.base, capture_output=True, text=True, timeout=120,
            preexec_fn=self.drop,
        )


NOBODY = 65534


def _drop_to_nobody() -> None:
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def _python_for_nobody() -> str | None:
    """An interpreter `nobody` can start: ours, or the system's of the same version."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    path = os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]])
    for candidate in (sys.executable, f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys, pypdf, tui.engine; print(sys.version_info[:2])"],
                env=dict(os.environ, PYTHONPATH=path), cwd="/", capture_output=True, text=True,
                timeout=60, preexec_fn=_drop_to_nobody,
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == str(sys.version_info[:2]):
            return candidate
    return None


@pytest.fixture
def unprivileged(tmp_path) -> Iterator[Unprivileged]:
    if os.geteuid() != 0:
        yield Unprivileged(tmp_path, sys.executable, None)
        return
    python = _python_for_nobody()
    if python is None:
        pytest.skip("running as root and no Python interpreter that `nobody` may start")
    base = Path(tempfile.mkdtemp(prefix="docpool-nobody-"))
    base.chmod(0o755)
    os.chown(base, NOBODY, NOBODY)
    try:
        yield Unprivileged(base, python, _drop_to_nobody)
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_unreadable_files_and_folders_are_failed_records_not_fatal(unprivileged):
    folder = unprivileged.base / "in"
    make_pdf(folder / "ok.pdf")
    make_pdf(folder / "secret.pdf").chmod(0o000)
    make_pdf(folder / "open" / "inner.pdf")
    make_pdf(folder / "locked" / "inner.pdf")
    (folder / "locked").chmod(0o000)
    make_pdf(folder / "blind" / "inner.pdf")
    (folder / "blind").chmod(0o311)  # may enter, may not list
    output = unprivileged.base / "out"

    done = unprivileged.run(folder, "-o", output, "--processor", "info", "-w", 2)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    rows = {row["path"]: row for row in report_rows(output)}
    assert sorted(rows) == ["blind/", "locked/", "ok.pdf", "open/inner.pdf", "secret.pdf"]
    assert rows["ok.pdf"]["status"] == rows["open/inner.pdf"]["status"] == "succeeded"
    for path in ("secret.pdf", "locked/", "blind/"):
        assert rows[path]["status"] == "failed"
        assert rows[path]["error"] == "PermissionError"
        assert "Permission denied" in rows[path]["message"]
    assert_one_line_messages(output)


def test_an_output_folder_that_cannot_be_written_is_one_line(unprivileged):
    folder = unprivileged.base / "in"
    make_pdf(folder / "ok.pdf")
    locked = unprivileged.base / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    for output in (locked, locked / "out"):
        done = unprivileged.run(folder, "-o", output)
        assert done.returncode == 2
        assert_one_line_error(done.stderr)
        assert "cannot write to output folder" in done.stderr


def test_resume_keeps_the_documents_of_a_folder_that_became_unreadable(unprivileged):
    """A folder docpool cannot look into does not mean its documents were deleted."""
    folder = unprivileged.base / "in"
    make_pdf(folder / "ok.pdf")
    make_pdf(folder / "locked" / "inner.pdf")
    output = unprivileged.base / "out"
    done = unprivileged.run(folder, "-o", output, "--processor", "info")
    assert done.returncode == 0, done.stderr
    (folder / "locked").chmod(0o000)

    done = unprivileged.run(folder, "-o", output, "--processor", "info", "--resume")
    assert done.returncode == 1, done.stderr
    rows = {row["path"]: row["status"] for row in report_rows(output)}
    assert rows == {"ok.pdf": "succeeded", "locked/": "failed", "locked/inner.pdf": "succeeded"}
    assert json.loads((output / "report.json").read_text())["removed"] == 0


def test_overwrite_that_cannot_remove_an_earlier_text_file_is_one_line(unprivileged):
    folder = unprivileged.base / "in"
    make_pdf(folder / "sub" / "a.pdf")
    output = unprivileged.base / "out"
    done = unprivileged.run(folder, "-o", output)
    assert done.returncode == 0, done.stderr
    (output / "sub").chmod(0o555)
    journal = journal_path(output).read_bytes()

    done = unprivileged.run(folder, "-o", output, "--overwrite")
    assert done.returncode == 2
    assert_one_line_error(done.stderr)
    assert "cannot remove" in done.stderr and "sub/a.pdf.txt" in done.stderr
    assert journal_path(output).read_bytes() == journal, "kept, so --overwrite can try again"


# Symbolic links.


def linked_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    make_pdf(folder / "a.pdf")
    make_pdf(folder / "sub" / "b.pdf")
    make_pdf(tmp_path / "elsewhere" / "x.pdf")
    make_pdf(tmp_path / "elsewhere" / "y.pdf")
    (folder / "loop").symlink_to(folder)
    (folder / "sub" / "up").symlink_to("..")
    (folder / "ping").symlink_to("pong")
    (folder / "pong").symlink_to("ping")
    (folder / "self.pdf").symlink_to("self.pdf")
    (folder / "dangling.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (folder / "outside.pdf").symlink_to(tmp_path / "elsewhere" / "x.pdf")
    (folder / "outdir").symlink_to(tmp_path / "elsewhere")
    return folder


def test_symlinks_are_not_followed_by_default(tmp_path):
    folder = linked_folder(tmp_path)
    events, finished = run_batch(BatchConfig(folder, tmp_path / "out", workers=2, processor="info"))
    assert finished.status == "completed"
    assert sorted(records_of(events)) == ["a.pdf", "sub/b.pdf"]


def test_followed_symlinks_are_loop_safe_and_each_target_is_reported(tmp_path):
    folder = linked_folder(tmp_path)
    started = time.monotonic()
    events, finished = run_batch(
        BatchConfig(folder, tmp_path / "out", workers=2, processor="info", follow_symlinks=True)
    )
    assert time.monotonic() - started < 30
    assert finished.status == "completed"
    records = records_of(events)
    assert sorted(records) == [
        "a.pdf", "dangling.pdf", "outdir/x.pdf", "outdir/y.pdf", "outside.pdf", "self.pdf",
        "sub/b.pdf",
    ]
    assert records["outside.pdf"].status == records["outdir/y.pdf"].status == "succeeded"
    assert records["self.pdf"].status == "failed"
    assert "symbolic links" in records["self.pdf"].message
    assert records["dangling.pdf"].status == "failed"
    assert "No such file" in records["dangling.pdf"].message


# Broken, odd and malicious files.


def test_broken_files_each_get_their_own_clear_error(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "good.pdf")
    make_broken(folder / "empty.pdf", b"")
    make_broken(folder / "letter.pdf", b"Dear reader,\nthis is a letter, not a PDF.\n")
    make_broken(folder / "page.pdf", b"<!doctype html><html><body>404</body></html>")
    make_truncated(folder / "truncated.pdf")
    make_encrypted(folder / "locked.pdf")
    make_encrypted(folder / "open-lock.pdf", user_password="")
    events, finished = run_batch(BatchConfig(folder, output, workers=2, retries=0))
    assert finished.status == "completed"
    records = records_of(events)
    assert len(records) == 7
    assert records["good.pdf"].status == "succeeded"
    assert records["open-lock.pdf"].status == "succeeded"
    assert records["open-lock.pdf"].data["encrypted"] is True
    assert (records["empty.pdf"].error, records["empty.pdf"].message) == (
        "EmptyFile", "empty file (0 bytes)"
    )
    assert (records["locked.pdf"].error, records["locked.pdf"].message) == (
        "encrypted", "encrypted: password required"
    )
    for name in ("letter.pdf", "page.pdf", "truncated.pdf"):
        assert records[name].status == "failed", name
        assert records[name].error not in ("encrypted", "EmptyFile"), name
    assert_one_line_messages(output)


def test_a_decompression_bomb_is_contained(tmp_path):
    """A page whose content inflates to 2 GiB: pypdf's own cap, or the memory cap, holds."""
    folder, output = tmp_path / "in", tmp_path / "out"
    make_bomb(folder / "bomb.pdf")
    make_pdf(folder / "good.pdf")
    started = time.monotonic()
    events, finished = run_batch(
        BatchConfig(folder, output, workers=2, timeout=20, memory_limit=512 * MiB, retries=0)
    )
    assert time.monotonic() - started < 30
    records = records_of(events)
    assert records["good.pdf"].status == "succeeded"
    bomb = records["bomb.pdf"]
    if bomb.status == "succeeded":
        assert bomb.data["characters"] < 100 * MiB
    else:
        assert bomb.error in ("memory", "timeout", "LimitReachedError"), bomb


def test_a_page_past_pypdfs_decompression_cap_is_counted_not_silently_cut(tmp_path):
    """pypdf refuses a content stream that inflates past 75 MB: that page's text
    is missing, the record says so in `failed_pages`, the other page is kept."""
    folder, output = tmp_path / "in", tmp_path / "out"
    make_oversized_text_page(folder / "small.pdf", padding=1_000)
    make_oversized_text_page(folder / "huge.pdf", padding=80 * MiB)
    events, finished = run_batch(BatchConfig(folder, output, workers=2, retries=0))
    records = records_of(events)
    small, huge = records["small.pdf"], records["huge.pdf"]
    assert (small.status, small.data["failed_pages"]) == ("succeeded", 0)
    assert (huge.status, huge.data["failed_pages"]) == ("succeeded", 1)
    small_text = text_output_path(output, "small.pdf").read_text()
    huge_text = text_output_path(output, "huge.pdf").read_text()
    assert "first page" in small_text and "hello" in small_text and "tail" in small_text
    assert "first page" in huge_text and "hello" not in huge_text


def test_a_careless_processor_on_a_bomb_hits_the_memory_cap_alone(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_bomb(folder / "bomb.pdf")
    make_pdf(folder / "good.pdf")
    events, finished = run_batch(
        BatchConfig(folder, output, workers=2, timeout=30, memory_limit=512 * MiB,
                    processor="faulty:inflate", retries=0)
    )
    records = records_of(events)
    assert records["good.pdf"].status == "succeeded"
    assert (records["bomb.pdf"].error, records["bomb.pdf"].message) == (
        "memory", "memory limit reached"
    )


def test_the_shared_corpus_of_real_broken_files(corpus, tmp_path):
    output = tmp_path / "out"
    events, finished = run_batch(BatchConfig(corpus, output, workers=2, processor="info"))
    assert finished.status == "completed"
    records = records_of(events)
    manifest = [line.split("\t", 1)[0] for line in (corpus / "MANIFEST.tsv").read_text().splitlines()[1:]]
    assert sorted(records) == sorted(manifest)
    assert records["nested/deeper/pypdf-encryption/r2-user-password.pdf"].error == "encrypted"
    assert records["nested/deeper/pypdf-encryption/r2-empty-password.pdf"].status == "succeeded"
    assert records["qpdf-malformed/bad1.pdf"].status == "failed"
    assert records["qpdf-malformed/bad1.pdf"].error != "encrypted"
    assert_one_line_messages(output)


# Names and paths.


def test_odd_names_and_very_long_paths(tmp_path):
    folder, output = tmp_path / "-in [odd]", tmp_path / "out"
    seed = make_pdf(tmp_path / "seed.pdf").read_bytes()
    names = [
        "with spaces.pdf", "report [draft].pdf", "[bold]x[/bold].pdf", "ünïcödé 文书.pdf",
        "new\nline.pdf", "-leading-dash.pdf", "--help.pdf", "a" * 251 + ".pdf",
        "report.json/inside.pdf", "docpool-journal.jsonl/inside.pdf", "..pdf",
    ]
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(seed)
    undecodable = os.fsdecode(b"latin1-\xe9.pdf")
    (folder / undecodable).write_bytes(seed)
    # Deeper than PATH_MAX: reachable only step by step.
    descriptor = os.open(folder, os.O_RDONLY)
    deep = ""
    for depth in range(20):
        os.mkdir("d" * 250, dir_fd=descriptor)
        inner = os.open("d" * 250, os.O_RDONLY, dir_fd=descriptor)
        os.close(descriptor)
        descriptor = inner
        deep += "d" * 250 + "/"
        if depth == 10:
            with open(os.open("mid.pdf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor), "wb") as file:
                file.write(seed)
            middle = deep + "mid.pdf"
    with open(os.open("deep.pdf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor), "wb") as file:
        file.write(seed)
    os.close(descriptor)
    outside_before = tree_outside(tmp_path, output)

    run = docpool(folder, "-o", output, "-w", 2)
    out, err = run.communicate(timeout=120)
    assert "Traceback" not in err
    assert run.returncode == 1, err  # one failure: the folder beyond PATH_MAX
    rows = {row["path"]: row for row in report_rows(output)}
    expected = set(names) | {undecodable, middle}
    assert expected <= set(rows)
    assert all(rows[name]["status"] == "succeeded" for name in expected)
    [(too_deep, row)] = [(path, row) for path, row in rows.items() if path not in expected]
    assert too_deep.endswith("/") and row["status"] == "failed"
    assert row["message"] == "File name too long"

    written = [p for p in output.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(output.resolve()) for p in written)
    assert len([p for p in written if p.name.endswith(".txt")]) == len(expected)
    for reserved in ("report.json", "docpool-journal.jsonl"):
        assert (output / reserved).is_file()
    json.loads((output / "report.json").read_text())
    assert tree_outside(tmp_path, output) == outside_before


def tree_outside(root: Path, output: Path) -> list[str]:
    """Every path under `root` but outside `output` (os.walk: it copes with paths beyond PATH_MAX)."""
    found = []
    for folder, subfolders, files in os.walk(root):
        if Path(folder) == output:
            subfolders.clear()
            continue
        found += [os.path.join(folder, name) for name in subfolders + files]
    found = [path for path in found if Path(path) != output]
    return sorted(found)


@pytest.mark.parametrize(
    "relative",
    [
        "../../etc/passwd.pdf", "/etc/passwd.pdf", "a/../../../b.pdf", "./x.pdf", "..", "",
        "a//b.pdf", "report.json/x.pdf", "docpool-journal.jsonl/x.pdf", ".tmp-x/y.pdf",
        ".docpool-staging/x.pdf",
        "x" * 400 + "/" + "y" * 300 + ".pdf",
    ],
)
def test_text_output_paths_never_leave_the_output_folder(tmp_path, relative):
    output = tmp_path / "out"
    target = text_output_path(output, relative)
    assert target.resolve().is_relative_to(output.resolve())
    assert target != output
    assert target.relative_to(output).parts[0] not in RESERVED_NAMES
    assert all(len(os.fsencode(part)) <= 255 for part in target.relative_to(output).parts)


def test_an_output_folder_inside_the_input_is_never_read_as_input(tmp_path):
    folder = tmp_path / "in"
    make_pdf(folder / "a.pdf")
    make_pdf(folder / "b.pdf")
    output = folder / "out"
    run_batch(BatchConfig(folder, output, workers=2, processor="text"))
    make_pdf(output / "stray.pdf")
    make_pdf(folder / "c.pdf")
    events, _ = run_batch(BatchConfig(folder, output, workers=2, processor="text", resume=True))
    assert sorted(records_of(events)) == ["c.pdf"]
    assert sorted(row["path"] for row in report_rows(output)) == ["a.pdf", "b.pdf", "c.pdf"]


# A worker killed while it writes.


def parts_in(output: Path) -> list[Path]:
    return [path for path in output.rglob("*") if path.name.startswith(".tmp-")]


def test_a_worker_killed_mid_write_leaves_no_part_behind(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    events, finished = run_batch(
        BatchConfig(folder, output, workers=1, timeout=1, retries=0, processor="faulty:stalls_mid_write")
    )
    assert records_of(events)["a.pdf"].error == "timeout"
    assert parts_in(output) == []
    assert not (output / "a.pdf.txt").exists()


def test_a_resumed_run_removes_the_parts_a_killed_run_left(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="text"))
    staging = output / ".docpool-staging"
    staging.mkdir()
    (staging / ".tmp-abc.part").write_text("what a kill -9 left")
    (staging / "someone's.txt").write_text("not ours")
    make_pdf(folder / "b.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="text", resume=True))
    assert parts_in(output) == []
    assert (staging / "someone's.txt").read_text() == "not ours"
    assert (output / "b.pdf.txt").exists()


# A disk that fills up.


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 1 MiB file system of its own (tmpfs), when this process may mount one."""
    mount = tmp_path / "disk"
    mount.mkdir()
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
            capture_output=True, text=True, timeout=30,
        )
    except OSError as error:
        pytest.skip(f"cannot run mount: {error}")
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30)


def fill(disk: Path, leave: int) -> Path:
    """Fill `disk` until only about `leave` bytes are free."""
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(0, free - leave))
    return filler


def assert_whole_after_disk_full(output: Path, out: str) -> None:
    assert "problem: disk full" in out and "No space left on device" in out
    lines = journal_lines(output)
    assert all(json.loads(line) for line in lines)
    assert (output / "docpool-journal.jsonl").read_bytes().endswith(b"\n")
    assert not [p for p in output.rglob(".tmp-*")]
    if (output / "report.json").exists():
        assert json.loads((output / "report.json").read_text())["status"] == "interrupted"
        assert "report: not written" not in out
    else:
        assert "report: not written" in out
    for record in read_records(output):
        assert "No space left" not in record.message, "a full disk is not the document's fault"


@pytest.mark.parametrize(
    "processor, count, leave, seed, full",
    [
        ("info", 300, 24 * 1024, {}, "cannot write the journal"),
        # Each text file takes four 4 KiB pages, so the disk is full long
        # before the journal's records outgrow the page it has.
        ("text", 40, 64 * 1024, {"pages": 4, "text": "docpool " * 500}, "cannot write the output of"),
    ],
    ids=["the journal fills it", "the documents fill it"],
)
def test_a_disk_that_fills_stops_cleanly_and_resume_finishes(
    tmp_path, small_disk, processor, count, leave, seed, full
):
    folder = tmp_path / "in"
    names = many_pdfs(folder, count, **seed)
    output = small_disk / "out"
    filler = fill(small_disk, leave)

    run = docpool(folder, "-o", output, "-w", 2, "--processor", processor)
    out, err = run.communicate(timeout=120)
    assert "Traceback" not in err
    assert run.returncode == 130, out + err
    assert_whole_after_disk_full(output, out)
    assert full in out.splitlines()[1]

    filler.unlink()
    (output / "report.json").unlink(missing_ok=True)
    again = docpool(folder, "-o", output, "-w", 2, "--processor", processor, "--resume")
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, out + err
    rows = report_rows(output)
    assert sorted(row["path"].rsplit("/", 1)[1] for row in rows) == sorted(names)
    assert all(row["status"] == "succeeded" for row in rows)
