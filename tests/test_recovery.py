"""Recovery: the journal, `--resume` after a `kill -9`, retries, and a refused re-run."""

from __future__ import annotations

import csv
import errno
import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from pypdf import PdfWriter

from faulty import MARKS_VARIABLE
from pdfs import make_pdf
from tui import atomic, engine
from tui.engine import Batch, BatchConfig
from tui.events import BatchFinished, BatchStarted, DocumentFinished, DocumentRecord
from tui.journal import FSYNC_SECONDS, Journal, journal_path, read_records
from tui.pool import MAX_TASKS_PER_WORKER, live_processes
from tui.processors import extract_text

TESTS = Path(__file__).parent
ROOT = TESTS.parent


def docpool(*arguments: object, env: dict[str, str] | None = None, **options) -> subprocess.Popen:
    """Start the real `docpool run` (its workers import test processors from tests/)."""
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), str(ROOT)]))
    environment.update(env or {})
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "run", *map(str, arguments), "--progress", "none"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, **options,
    )


def many_pdfs(root: Path, count: int, **seed_options) -> list[str]:
    """`count` PDFs (one page, unless `seed_options` for `make_pdf` say otherwise)
    with unique names, a hundred to a folder (copies: quick to make)."""
    seed = make_pdf(root.parent / f"{root.name}-seed.pdf", **seed_options).read_bytes()
    names = []
    for index in range(count):
        folder = root / f"part-{index // 100:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"doc-{index:05d}.pdf"
        (folder / name).write_bytes(seed)
        names.append(name)
    return names


def journal_lines(output: Path) -> list[bytes]:
    try:
        return journal_path(output).read_bytes().split(b"\n")[1:-1]
    except FileNotFoundError:
        return []


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.02)


def marks(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line.split("\t", 1)[1] for line in path.read_text().splitlines()]


def report_rows(output: Path) -> list[dict[str, str]]:
    with open(output / "report.csv", newline="") as file:
        return list(csv.DictReader(file))


def run_batch(config: BatchConfig, on_event=None) -> tuple[list, BatchFinished]:
    batch = Batch(config)
    events = []
    for event in batch.run():
        events.append(event)
        if on_event is not None:
            on_event(batch, event)
    return events, events[-1]


def test_kill_9_then_resume_counts_each_document_once_and_redoes_only_those_in_flight(tmp_path):
    """The issue's "done when": a few thousand PDFs, `kill -9` of the controller, `--resume`."""
    folder, output = tmp_path / "in", tmp_path / "out"
    names = many_pdfs(folder, 3000)
    workers = 2
    first_marks, second_marks = tmp_path / "marks-1", tmp_path / "marks-2"
    run = docpool(
        folder, "-o", output, "-w", workers, "--processor", "faulty:mark",
        env={MARKS_VARIABLE: str(first_marks)},
    )
    try:
        wait_for(lambda: len(journal_lines(output)) >= 500, 60, "500 journal records")
        helpers = [child.pid for child in psutil.Process(run.pid).children(recursive=True)]
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait(10)
    assert run.returncode == -signal.SIGKILL
    assert helpers, "the controller had worker processes"
    wait_for(lambda: live_processes(helpers) == [], 5, "the dead controller's workers to exit")

    journalled = {json.loads(line)["path"].rsplit("/", 1)[1] for line in journal_lines(output)
                  if line.startswith(b"{")}
    started = set(marks(first_marks))
    in_flight = started - journalled
    # In flight: handed to a worker and not yet journalled; each worker holds
    # its running document and those queued behind it.
    assert len(in_flight) <= workers * MAX_TASKS_PER_WORKER
    assert not (output / "report.json").exists()

    resumed = docpool(
        folder, "-o", output, "-w", workers, "--processor", "faulty:mark", "--resume",
        env={MARKS_VARIABLE: str(second_marks)},
    )
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    redone = started & set(marks(second_marks))
    assert redone == in_flight
    assert len(set(marks(second_marks))) == len(names) - len(journalled)

    report = json.loads((output / "report.json").read_text())
    assert report["status"] == "completed"
    assert report["totals"]["discovered"] == len(names)
    assert report["totals"]["succeeded"] == len(names)
    assert report["totals"]["resumed"] == len(journalled)
    assert report["totals"]["processed_this_run"] == len(names) - len(journalled)
    paths = [row["path"].rsplit("/", 1)[1] for row in report_rows(output)]
    assert sorted(paths) == sorted(names)


def test_killed_controller_leaves_no_busy_worker_behind(tmp_path):
    """Workers stuck in a document notice that the controller is gone and exit."""
    folder, output = tmp_path / "in", tmp_path / "out"
    many_pdfs(folder, 4)
    marked = tmp_path / "marks"
    run = docpool(
        folder, "-o", output, "-w", 2, "--processor", "faulty:mark",
        env={MARKS_VARIABLE: str(marked), "DOCPOOL_TEST_SECONDS": "3600"},
    )
    try:
        wait_for(lambda: len(marks(marked)) >= 2, 30, "two documents to start")
        workers = [int(line.split("\t")[0]) for line in marked.read_text().splitlines()]
        helpers = [child.pid for child in psutil.Process(run.pid).children(recursive=True)]
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait(10)
    assert set(workers) <= set(helpers)
    wait_for(lambda: live_processes(helpers) == [], 5, "the busy workers to exit")


def test_a_line_cut_short_by_a_crash_is_ignored_and_dropped(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c"):
        make_pdf(folder / f"{name}.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="info"))
    journal = journal_path(output)
    lines = journal.read_bytes().split(b"\n")
    # b's record is damaged in the middle of the file, c's is cut short at the end.
    by_path = {json.loads(line)["path"]: line for line in lines[1:] if line}
    damaged = b"\n".join(
        [lines[0], by_path["a.pdf"], b'{"path": "b.pdf", "sta', by_path["c.pdf"][:40]]
    )
    journal.write_bytes(damaged)
    assert [record.path for record in read_records(output)] == ["a.pdf"]

    events, finished = run_batch(BatchConfig(folder, output, workers=1, processor="info", resume=True))
    assert finished.status == "completed"
    redone = sorted(e.record.path for e in events if isinstance(e, DocumentFinished))
    assert redone == ["b.pdf", "c.pdf"]
    assert sorted(record.path for record in read_records(output)) == ["a.pdf", "b.pdf", "c.pdf"]
    assert sorted(row["path"] for row in report_rows(output)) == ["a.pdf", "b.pdf", "c.pdf"]


def test_a_journal_killed_before_its_header_resumes_from_scratch(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    output.mkdir()
    journal_path(output).write_bytes(b'{"docpool_jour')
    _, finished = run_batch(BatchConfig(folder, output, workers=1, processor="info", resume=True))
    assert finished.status == "completed"
    assert [row["path"] for row in report_rows(output)] == ["a.pdf"]


def test_a_quiet_journal_is_still_synced_within_a_second_or_so(tmp_path, monkeypatch):
    """A record that lands just after a sync must not wait for the next record to be synced."""
    syncs: list[tuple[float, int]] = []
    real_sync = atomic.sync_file_system

    def sync(descriptor: int) -> None:
        real_sync(descriptor)
        syncs.append((time.monotonic(), os.fstat(descriptor).st_size))

    monkeypatch.setattr("tui.journal.sync_file_system", sync)
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a-quick.pdf")
    make_pdf(folder / "hang.pdf", pages=3)  # blocks its worker until the timeout
    landed: list[tuple[float, int]] = []

    def note(batch, event):
        if isinstance(event, DocumentFinished) and event.record.path == "a-quick.pdf":
            landed.append((time.monotonic(), journal_path(output).stat().st_size))

    _, finished = run_batch(
        BatchConfig(folder, output, workers=2, processor="faulty:by_name", timeout=3, retries=0),
        note,
    )
    assert finished.status == "completed"
    [(landed_at, size)] = landed
    synced_at = min(at for at, synced in syncs if synced >= size)
    assert synced_at - landed_at < FSYNC_SECONDS + 0.5


def test_journal_sync_if_due_waits_for_a_second_and_for_something_to_sync(tmp_path, monkeypatch):
    now = [0.0]
    syncs: queue.Queue[float] = queue.Queue()
    monkeypatch.setattr("tui.journal.sync_file_system", lambda descriptor: syncs.put(now[0]))
    journal = Journal(tmp_path, {"folder": "x"}, append=False, clock=lambda: now[0])
    now[0] = 0.5
    journal.append(DocumentRecord("a.pdf", "succeeded"))
    journal.sync_if_due()
    now[0] = 1.2
    journal.sync_if_due()
    assert syncs.get(timeout=5) == 1.2, "one sync, once the record is a second from the last"
    now[0] = 5.0
    journal.sync_if_due()
    journal.close()
    assert syncs.empty(), "nothing new: no sync"


def test_a_slow_sync_does_not_hold_up_the_batch_but_close_waits_for_it(tmp_path, monkeypatch):
    """A sync writes back everything waiting for the disk (a big copy, say): it
    runs beside the controller, and the journal is only closed once it is done."""
    now = [0.0]
    under_way, release, done = threading.Event(), threading.Event(), threading.Event()

    def slow_sync(descriptor: int) -> None:
        under_way.set()
        release.wait(10)
        done.set()

    monkeypatch.setattr("tui.journal.sync_file_system", slow_sync)
    journal = Journal(tmp_path, {"folder": "x"}, append=False, clock=lambda: now[0])
    now[0] = 1.5
    journal.append(DocumentRecord("a.pdf", "succeeded"))  # starts the sync and returns
    assert under_way.wait(5) and not done.is_set()
    journal.append(DocumentRecord("b.pdf", "succeeded"))
    closing = threading.Thread(target=journal.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive(), "close returned before the sync under way was done"
    release.set()
    closing.join(10)
    assert not closing.is_alive()
    assert [record.path for record in read_records(tmp_path)] == ["a.pdf", "b.pdf"]


def test_a_sync_that_fails_is_reported_by_the_journal(tmp_path, monkeypatch):
    now = [0.0]

    def failing_sync(descriptor: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("tui.journal.sync_file_system", failing_sync)
    journal = Journal(tmp_path, {"folder": "x"}, append=False, clock=lambda: now[0])
    now[0] = 1.5
    journal.append(DocumentRecord("a.pdf", "succeeded"))
    with pytest.raises(OSError) as raised:
        journal.close()
    assert raised.value.errno == errno.EIO


def test_text_files_are_not_fsynced_one_by_one_but_by_the_journals_sync(tmp_path, monkeypatch):
    """No fsync per document: the journal's sync writes back the output's whole
    file system, so the texts its records name are durable before the records."""
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf", pages=2)
    fsyncs: list[int] = []
    monkeypatch.setattr("tui.atomic.os.fsync", fsyncs.append)
    extract_text(folder / "a.pdf", folder=folder, output=output)
    assert (output / "a.pdf.txt").is_file()
    assert fsyncs == []

    synced_devices: list[int] = []
    monkeypatch.setattr(
        "tui.journal.sync_file_system",
        lambda descriptor: synced_devices.append(os.fstat(descriptor).st_dev),
    )
    journal = Journal(output, {"folder": str(folder)}, append=False, clock=time.monotonic)
    journal.append(DocumentRecord("a.pdf", "succeeded"))
    journal.close()
    assert synced_devices and set(synced_devices) == {(output / "a.pdf.txt").stat().st_dev}


@pytest.fixture
def output_linked_elsewhere(tmp_path):
    """(OUTPUT, a tmpfs folder that OUTPUT/mounted links to): a subfolder of
    OUTPUT on another file system, as a mount point or a user's link makes."""
    elsewhere = Path("/dev/shm")
    if not elsewhere.is_dir() or elsewhere.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs /dev/shm on another file system than the tests' temporary folder")
    output = tmp_path / "out"
    other = Path(tempfile.mkdtemp(dir=elsewhere))
    try:
        output.mkdir()
        (output / "mounted").symlink_to(other)
        yield output, other
    finally:
        shutil.rmtree(other)


def test_a_text_file_on_another_file_system_inside_output_is_fsynced_by_itself(
    tmp_path, monkeypatch, output_linked_elsewhere
):
    """The journal's sync covers OUTPUT's file system only. A subfolder of
    OUTPUT that leads to another one (here a link to a tmpfs folder) gets
    its text files fsynced as they are written; the rest still are not."""
    output, other = output_linked_elsewhere
    folder = tmp_path / "in"
    make_pdf(folder / "mounted" / "far.pdf", pages=2)
    make_pdf(folder / "near.pdf")
    fsynced: list[int] = []
    monkeypatch.setattr(
        "tui.atomic.os.fsync",
        lambda descriptor: fsynced.append(os.fstat(descriptor).st_mode),
    )
    extract_text(folder / "near.pdf", folder=folder, output=output)
    assert fsynced == []
    extract_text(folder / "mounted" / "far.pdf", folder=folder, output=output)
    assert "page 2" in (other / "far.pdf.txt").read_text()
    assert [stat.S_ISREG(mode) for mode in fsynced] == [True, False]  # the file, its folder


def test_folders_made_on_another_file_system_inside_output_are_fsynced_too(
    tmp_path, monkeypatch, output_linked_elsewhere
):
    """A text file's own fsync keeps its name in its folder, not that folder's
    name in its parent: folders made for it on the other file system are
    fsynced in their parents too, or a power cut could lose the lot."""
    output, other = output_linked_elsewhere
    folder = tmp_path / "in"
    make_pdf(folder / "mounted" / "deep" / "er" / "far.pdf")
    make_pdf(folder / "mounted" / "deep" / "er" / "second.pdf")
    fsynced: list[tuple[int, int]] = []
    monkeypatch.setattr(
        "tui.atomic.os.fsync",
        lambda descriptor: fsynced.append(
            (os.fstat(descriptor).st_dev, os.fstat(descriptor).st_ino)
        ),
    )

    def identity(path: Path) -> tuple[int, int]:
        return path.stat().st_dev, path.stat().st_ino

    extract_text(folder / "mounted" / "deep" / "er" / "far.pdf", folder=folder, output=output)
    text = other / "deep" / "er" / "far.pdf.txt"
    assert text.is_file()
    assert sorted(fsynced) == sorted(
        identity(path) for path in (text, text.parent, other / "deep", other)
    )
    fsynced.clear()
    extract_text(folder / "mounted" / "deep" / "er" / "second.pdf", folder=folder, output=output)
    second = other / "deep" / "er" / "second.pdf.txt"
    assert sorted(fsynced) == sorted(identity(path) for path in (second, second.parent))


def test_sync_file_system_writes_back_and_reports_a_failure(tmp_path):
    descriptor = os.open(tmp_path, os.O_RDONLY)
    try:
        atomic.sync_file_system(descriptor)
    finally:
        os.close(descriptor)
    if atomic._syncfs() is not None:  # Linux: syncfs(2) itself, so its errors show
        with pytest.raises(OSError) as raised:
            atomic.sync_file_system(-1)
        assert raised.value.errno == errno.EBADF


def test_a_failed_journal_write_leaves_only_whole_lines(tmp_path, monkeypatch):
    journal = Journal(tmp_path, {"folder": "x"}, append=False, clock=lambda: 0.0)
    journal.append(DocumentRecord("a.pdf", "succeeded"))
    real_write = os.write

    def half_then_full(descriptor: int, data: bytes) -> int:
        if len(data) > 20:
            return real_write(descriptor, data[:20])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tui.journal.os.write", half_then_full)
    with pytest.raises(OSError):
        journal.append(DocumentRecord("b.pdf", "succeeded"))
    monkeypatch.undo()
    journal.append(DocumentRecord("c.pdf", "succeeded"))
    journal.close()
    assert [record.path for record in read_records(tmp_path)] == ["a.pdf", "c.pdf"]
    assert journal_path(tmp_path).read_bytes().endswith(b"}\n")


def test_resume_redoes_a_changed_document_and_reports_it_once(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c"):
        make_pdf(folder / f"{name}.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="info"))
    make_pdf(folder / "b.pdf", pages=4)
    events, _ = run_batch(BatchConfig(folder, output, workers=1, processor="info", resume=True))
    assert [e.record.path for e in events if isinstance(e, DocumentFinished)] == ["b.pdf"]
    rows = {row["path"]: row for row in report_rows(output)}
    assert sorted(rows) == ["a.pdf", "b.pdf", "c.pdf"]
    assert rows["b.pdf"]["pages"] == "4"

    # Resumed again (and stopped before any document starts): still each once.
    os.utime(folder / "c.pdf", (1_000_000, 1_000_000))

    def cancel_at_once(batch, event):
        if isinstance(event, BatchStarted):
            batch.cancel()

    _, finished = run_batch(
        BatchConfig(folder, output, workers=1, processor="info", resume=True), cancel_at_once
    )
    assert finished.status == "cancelled"
    report = json.loads((output / "report.json").read_text())
    assert sorted(row["path"] for row in report_rows(output)) == ["a.pdf", "b.pdf", "c.pdf"]
    assert report["totals"]["discovered"] == 3


def test_resume_redoes_a_document_whose_text_a_power_cut_lost(tmp_path):
    # A power cut between two syncs can leave a journalled record whose text
    # never reached the disk: missing, or renamed into place but empty.
    folder, output = tmp_path / "in", tmp_path / "out"
    for name in ("kept", "missing", "emptied"):
        make_pdf(folder / f"{name}.pdf", text=f"text of {name}")
    blank = PdfWriter()
    blank.add_blank_page(width=200, height=200)
    blank.write(folder / "blank.pdf")
    run_batch(BatchConfig(folder, output, workers=1))
    texts = {name: output / f"{name}.pdf.txt" for name in ("kept", "missing", "emptied", "blank")}
    assert texts["blank"].read_text() == "", "a document without text has an empty text file"
    written = {name: text.read_text() for name, text in texts.items()}
    assert "text of emptied" in written["emptied"]
    texts["missing"].unlink()
    texts["emptied"].write_text("")

    events, finished = run_batch(BatchConfig(folder, output, workers=1, resume=True))

    redone = sorted(e.record.path for e in events if isinstance(e, DocumentFinished))
    assert redone == ["emptied.pdf", "missing.pdf"]
    assert finished.status == "completed"
    assert {name: text.read_text() for name, text in texts.items()} == written
    rows = report_rows(output)
    assert sorted(row["path"] for row in rows) == [
        "blank.pdf", "emptied.pdf", "kept.pdf", "missing.pdf"
    ]
    assert {row["status"] for row in rows} == {"succeeded"}


def test_an_unreadable_entry_is_reported_once_across_resumes(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    (folder / "gone.pdf").symlink_to(tmp_path / "nowhere.pdf")
    config = BatchConfig(folder, output, workers=1, processor="info", follow_symlinks=True)
    run_batch(config)
    for _ in range(2):
        run_batch(BatchConfig(folder, output, workers=1, processor="info",
                              follow_symlinks=True, resume=True))
    rows = report_rows(output)
    assert sorted(row["path"] for row in rows) == ["a.pdf", "gone.pdf"]
    assert {row["path"]: row["status"] for row in rows}["gone.pdf"] == "failed"


def test_a_rerun_without_resume_refuses_with_one_line_and_overwrite_starts_again(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    first = docpool(folder, "-o", output, "--processor", "info")
    first.communicate(timeout=60)
    assert first.returncode == 0
    before = journal_path(output).read_bytes()

    again = docpool(folder, "-o", output, "--processor", "info")
    out, err = again.communicate(timeout=60)
    assert again.returncode == 2
    assert err.count("\n") == 1 and "--resume" in err and "--overwrite" in err
    assert "Traceback" not in err
    assert journal_path(output).read_bytes() == before

    over = docpool(folder, "-o", output, "--processor", "info", "--overwrite")
    over.communicate(timeout=60)
    assert over.returncode == 0
    assert len(journal_lines(output)) == 1


def test_retries_a_timeout_and_records_the_attempts(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "hang.pdf")
    make_pdf(folder / "raise.pdf")
    _, finished = run_batch(
        BatchConfig(folder, output, workers=2, processor="faulty:by_name", timeout=1.5)
    )
    report = json.loads((output / "report.json").read_text())
    errors = {error["path"]: error for error in report["errors"]}
    assert errors["hang.pdf"]["error"] == "timeout" and errors["hang.pdf"]["attempts"] == 2
    assert errors["raise.pdf"]["error"] == "ValueError" and errors["raise.pdf"]["attempts"] == 1


def test_resume_with_another_processor_is_refused(tmp_path):
    from tui.engine import SetupError

    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="info"))
    with pytest.raises(SetupError, match="processor 'info', not 'text'"):
        Batch(BatchConfig(folder, output, processor="text", resume=True))


def test_a_second_run_on_an_output_in_use_is_refused(tmp_path):
    """After an ssh reconnect, a user may start again while the first run still goes on."""
    folder, output = tmp_path / "in", tmp_path / "out"
    many_pdfs(folder, 4)
    marked = tmp_path / "marks"
    first = docpool(
        folder, "-o", output, "-w", 1, "--processor", "faulty:mark",
        env={MARKS_VARIABLE: str(marked), "DOCPOOL_TEST_SECONDS": "3600"},
    )
    try:
        wait_for(lambda: len(marks(marked)) >= 1, 30, "the first run to start")
        before = journal_path(output).read_bytes()
        for option in ("--resume", "--overwrite"):
            second = docpool(folder, "-o", output, "--processor", "faulty:mark", option)
            _, err = second.communicate(timeout=60)
            assert second.returncode == 2
            assert "in use by another docpool run" in err and err.count("\n") == 1
        assert journal_path(output).read_bytes() == before
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 130


# A document deleted between runs.


def test_resume_leaves_out_a_document_deleted_since_and_says_how_many(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c"):
        make_pdf(folder / f"{name}.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\nnot a pdf\n")
    first = docpool(folder, "-o", output)
    first.communicate(timeout=60)
    assert first.returncode == 1
    (folder / "b.pdf").unlink()
    (folder / "broken.pdf").unlink()

    resumed = docpool(folder, "-o", output, "--resume")
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert "2 removed" in out.splitlines()[0]
    assert [row["path"] for row in report_rows(output)] == ["a.pdf", "c.pdf"]
    report = json.loads((output / "report.json").read_text())
    assert report["removed"] == 2
    totals = report["totals"]
    assert (totals["discovered"], totals["succeeded"], totals["failed"]) == (2, 2, 0)
    assert totals["resumed"] == 2
    assert report["errors"] == []
    assert "2 documents recorded by an earlier run are no longer in the folder" in (
        (output / "report.md").read_text()
    )
    # Nothing of the user's or of the earlier run is deleted for it.
    assert (output / "b.pdf.txt").is_file()
    assert {record.path for record in read_records(output)} >= {"b.pdf", "broken.pdf"}


def test_an_interrupted_resume_keeps_the_documents_it_had_not_reached(tmp_path):
    """Discovery is lazy: absence means removal only once the whole folder has been walked."""
    folder, output = tmp_path / "in", tmp_path / "out"
    for name in ("k", "m", "gone"):
        make_pdf(folder / "z-late" / f"{name}.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="info"))
    (folder / "z-late" / "gone.pdf").unlink()
    seed = make_pdf(tmp_path / "seed.pdf").read_bytes()
    new = [folder / "a-new" / f"{index:03d}.pdf" for index in range(300)]  # more than the look-ahead
    new[0].parent.mkdir()
    for path in new:
        path.write_bytes(seed)

    def cancel_after_one(batch, event):
        if isinstance(event, DocumentFinished):
            batch.cancel()

    _, finished = run_batch(
        BatchConfig(folder, output, workers=1, processor="info", resume=True), cancel_after_one
    )
    assert finished.status == "cancelled"
    assert finished.removed == 1
    rows = {row["path"]: row["status"] for row in report_rows(output)}
    assert rows["z-late/k.pdf"] == rows["z-late/m.pdf"] == "succeeded"
    assert "z-late/gone.pdf" not in rows
    assert len(rows) == len(new) + 2
    report = json.loads((output / "report.json").read_text())
    assert report["removed"] == 1
    totals = report["totals"]
    assert totals["discovered"] == len(new) + 2
    assert totals["resumed"] == 2
    assert totals["succeeded"] == 2 + totals["processed_this_run"]
    assert totals["not_processed"] == len(new) - totals["processed_this_run"]


def test_a_walk_that_stops_short_counts_nothing_as_removed(tmp_path, monkeypatch):
    """If discovery cannot finish, an earlier record it did not reach is kept, not dropped."""
    folder, output = tmp_path / "in", tmp_path / "out"
    for name in ("a", "b", "c"):
        make_pdf(folder / f"{name}.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="info"))
    make_pdf(folder / "a.pdf", pages=2)
    real_walk = engine.iter_documents

    def walk_that_breaks(*arguments, **options):
        walk = real_walk(*arguments, **options)
        if options.get("on_unreadable") is not None:  # the engine's own walk, not the count
            yield next(walk)
            raise OSError(5, "Input/output error")
        yield from walk

    monkeypatch.setattr(engine, "iter_documents", walk_that_breaks)
    _, finished = run_batch(BatchConfig(folder, output, workers=1, processor="info", resume=True))
    assert finished.removed == 0
    assert sorted(row["path"] for row in report_rows(output)) == ["a.pdf", "b.pdf", "c.pdf"]
    assert json.loads((output / "report.json").read_text())["removed"] == 0


# --overwrite clears the earlier run's text files.


def test_overwrite_removes_the_text_files_of_the_earlier_run_and_nothing_else(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    make_pdf(folder / "sub" / "b.pdf")
    make_pdf(folder / "kept" / "c.pdf")
    first = docpool(folder, "-o", output)
    first.communicate(timeout=60)
    assert first.returncode == 0
    assert (output / "sub" / "b.pdf.txt").is_file()
    (folder / "sub" / "b.pdf").unlink()
    (folder / "kept" / "c.pdf").unlink()
    (output / "notes.txt").write_text("the user's own")
    (output / "kept" / "mine.txt").write_text("the user's own")

    over = docpool(folder, "-o", output, "--overwrite")
    _, err = over.communicate(timeout=60)
    assert over.returncode == 0, err
    assert (output / "a.pdf.txt").read_text().startswith("Hello from docpool")
    assert not (output / "sub").exists(), "emptied by the removal, so removed too"
    assert not (output / "kept" / "c.pdf.txt").exists()
    assert (output / "notes.txt").read_text() == "the user's own"
    assert (output / "kept" / "mine.txt").read_text() == "the user's own"
    assert sorted(row["path"] for row in report_rows(output)) == ["a.pdf"]


def test_overwrite_never_removes_a_file_outside_the_output_folder(tmp_path):
    folder, output, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    make_pdf(folder / "linked" / "c.pdf")
    make_pdf(folder / "d.pdf")
    run_batch(BatchConfig(folder, output, workers=1))
    (folder / "linked" / "c.pdf").unlink()  # so the new run does not write there itself
    # The output's subfolder is now a link to a folder outside, holding a file of the same name.
    elsewhere.mkdir()
    (output / "linked" / "c.pdf.txt").rename(elsewhere / "c.pdf.txt")
    (output / "linked").rmdir()
    (output / "linked").symlink_to(elsewhere, target_is_directory=True)
    # And records that name files outside, as a damaged or hand-edited journal might.
    victim = tmp_path / "victim.pdf.txt"
    victim.write_text("not docpool's")
    (output / "d.pdf.txt").unlink()
    (output / "d.pdf.txt").symlink_to(victim)
    with open(journal_path(output), "a") as journal:
        for path, text_file in (
            ("../victim.pdf", str(output / ".." / "victim.pdf.txt")),
            ("victim.pdf", str(victim)),
        ):
            record = {"path": path, "status": "succeeded", "data": {"text_file": text_file}}
            journal.write(json.dumps(record) + "\n")

    run_batch(BatchConfig(folder, output, workers=1, overwrite=True))
    assert (elsewhere / "c.pdf.txt").is_file()
    assert victim.read_text() == "not docpool's"
    assert sorted(row["path"] for row in report_rows(output)) == ["d.pdf"]


def test_overwrite_leaves_the_files_of_another_processor_alone(tmp_path):
    """Only docpool's text processor is known to write what it names; a user's may name anything."""
    folder, output = tmp_path / "in", tmp_path / "out"
    make_pdf(folder / "a.pdf")
    run_batch(BatchConfig(folder, output, workers=1, processor="faulty:names_a_text_file"))
    assert (output / "a.pdf.txt").is_file()
    run_batch(BatchConfig(folder, output, workers=1, processor="info", overwrite=True))
    assert (output / "a.pdf.txt").read_text() == "written by the processor itself"
