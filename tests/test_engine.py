"""The engine with real worker processes on real PDFs."""

from __future__ import annotations

import fcntl
import json
import time
from pathlib import Path

import pytest

from pdfs import make_broken, make_folder, make_pdf
from tui.engine import Batch, BatchConfig, SetupError
from tui.eta import EtaEstimator
from tui.events import BatchFinished, BatchStarted, DocumentFinished, DocumentStarted, Progress
from tui.pool import ProcessPool, live_processes
from tui.worker import Task


def run_batch(batch: Batch, on_event=None) -> tuple[list, BatchFinished]:
    events = []
    for event in batch.run():
        events.append(event)
        if on_event is not None:
            on_event(batch, event, events)
    finished = events[-1]
    assert isinstance(finished, BatchFinished)
    return events, finished


def report_of(output: Path) -> dict:
    return json.loads((output / "report.json").read_text())


def assert_accounted(report: dict) -> None:
    totals = report["totals"]
    assert (
        totals["succeeded"] + totals["failed"] + totals["skipped"] + totals["not_processed"]
        == totals["discovered"]
    )


def finished_records(events) -> list:
    return [event.record for event in events if isinstance(event, DocumentFinished)]


def test_every_document_is_processed_once_and_reported(tmp_path):
    folder = make_folder(tmp_path / "in", good=6, broken=2, pages=2)
    make_pdf(folder / "sub" / "deeper" / "Nested.PDF", pages=3)
    make_broken(folder / "empty.pdf", b"")
    (folder / "notes.txt").write_text("not a pdf")
    output = tmp_path / "out"
    events, finished = run_batch(Batch(BatchConfig(folder, output, workers=2)))

    assert isinstance(events[0], BatchStarted)
    records = finished_records(events)
    paths = sorted(record.path for record in records)
    assert len(paths) == len(set(paths)) == 10
    assert "sub/deeper/Nested.PDF" in paths
    assert finished.status == "completed"
    assert finished.snapshot.totals.discovered == 10

    report = report_of(output)
    assert_accounted(report)
    assert report["status"] == "completed"
    assert report["totals"]["succeeded"] == 7
    assert report["totals"]["failed"] == 3
    assert report["totals"]["pages"] == 6 * 2 + 3
    errors = {error["path"]: error for error in report["errors"]}
    assert errors["empty.pdf"]["error"] == "EmptyFile"
    assert set(errors) == {"broken-000.pdf", "broken-001.pdf", "empty.pdf"}

    text = (output / "sub" / "deeper" / "Nested.PDF.txt").read_text()
    assert "Hello from docpool page 3" in text
    nested = next(record for record in records if record.path == "sub/deeper/Nested.PDF")
    assert nested.data["pages"] == 3
    assert nested.data["title"] == "Title of Nested"
    assert nested.data["author"] == "docpool tests"
    assert nested.data["encrypted"] is False
    assert nested.data["pdf_version"].startswith("1.")
    assert nested.data["failed_pages"] == 0

    rows = (output / "report.csv").read_text().splitlines()
    assert rows[0].startswith("path,status,pages,bytes,seconds,error,message")
    assert len(rows) == 11
    assert "## Failures" in (output / "report.md").read_text()


def test_each_failure_stays_with_its_document(tmp_path):
    folder = tmp_path / "in"
    for name in ("raise", "assert", "hang", "exit", "segv", "alloc", "print", "ok-1", "ok-2", "ok-3"):
        make_pdf(folder / f"{name}.pdf")
    output = tmp_path / "out"
    config = BatchConfig(
        folder, output, workers=2, timeout=3, processor="faulty:by_name",
        memory_limit=700 * 1024 * 1024, retries=0,
    )
    events, finished = run_batch(Batch(config))
    records = {record.path: record for record in finished_records(events)}
    assert len(records) == 10
    errors = {path: record.error for path, record in records.items() if record.status == "failed"}
    assert errors == {
        "raise.pdf": "ValueError",
        "assert.pdf": "AssertionError",
        "hang.pdf": "timeout",
        "exit.pdf": "crashed",
        "segv.pdf": "crashed",
        "alloc.pdf": "memory",
    }
    assert "SIGSEGV" in records["segv.pdf"].message
    assert "exit code 3" in records["exit.pdf"].message
    for name in ("print.pdf", "ok-1.pdf", "ok-2.pdf", "ok-3.pdf"):
        assert records[name].status == "succeeded"
    pids = {record.data["pid"] for record in records.values() if record.status == "succeeded"}
    assert live_processes(sorted(pids)) == []
    assert_accounted(report_of(output))


def test_a_processor_result_a_record_cannot_hold_fails_that_document_clearly(tmp_path):
    folder = tmp_path / "in"
    for name in ("badstr", "nan", "negpages", "local", "ok"):
        make_pdf(folder / f"{name}.pdf")
    config = BatchConfig(folder, tmp_path / "out", workers=2, processor="faulty:by_name", retries=0)
    events, _ = run_batch(Batch(config))
    records = {record.path: record for record in finished_records(events)}
    assert records["badstr.pdf"].error == "Unprintable"
    assert "could not be read" in records["badstr.pdf"].message
    assert records["nan.pdf"].error == "BadResult" and "not JSON" in records["nan.pdf"].message
    assert records["negpages.pdf"].error == "BadResult" and "pages=-5" in records["negpages.pdf"].message
    assert records["local.pdf"].status == "succeeded"
    assert records["local.pdf"].data["words"] == ["a", "b"]
    assert records["ok.pdf"].status == "succeeded"
    journal = (tmp_path / "out" / "docpool-journal.jsonl").read_text()
    assert "NaN" not in journal
    assert report_of(tmp_path / "out")["totals"]["pages"] >= 0


def test_a_worker_that_hits_its_memory_cap_is_replaced_so_later_documents_do_not_fail(tmp_path):
    folder = tmp_path / "in"
    for number in range(8):
        make_pdf(folder / f"leak-{number}.pdf")
    config = BatchConfig(
        folder, tmp_path / "out", workers=1, processor="faulty:by_name",
        memory_limit=700 * 1024 * 1024, retries=1,
    )
    events, _ = run_batch(Batch(config))
    records = finished_records(events)
    assert len(records) == 8
    assert [record.path for record in records if record.status != "succeeded"] == []
    assert any(record.attempts == 2 for record in records), "the cap was never hit"


def test_retries_a_crash_but_not_a_parse_error(tmp_path):
    folder = tmp_path / "in"
    make_pdf(folder / "exit.pdf")
    make_pdf(folder / "raise.pdf")
    config = BatchConfig(folder, tmp_path / "out", workers=1, processor="faulty:by_name", retries=2)
    events, finished = run_batch(Batch(config))
    records = {record.path: record for record in finished_records(events)}
    assert records["exit.pdf"].attempts == 3
    assert records["raise.pdf"].attempts == 1
    report = report_of(tmp_path / "out")
    assert {e["path"]: e["attempts"] for e in report["errors"]} == {"exit.pdf": 3, "raise.pdf": 1}


def test_cancel_kills_running_documents_and_reports_the_rest(tmp_path):
    folder = make_folder(tmp_path / "in", good=12)
    output = tmp_path / "out"
    batch = Batch(BatchConfig(folder, output, workers=2, processor="faulty:hang"))
    started: list[str] = []

    def cancel_when_busy(batch, event, events):
        if isinstance(event, DocumentStarted):
            started.append(event.document.path)
            if len(started) == 2:
                batch.cancel()

    _, finished = run_batch(batch, cancel_when_busy)
    assert finished.status == "cancelled"
    report = report_of(output)
    assert report["status"] == "cancelled"
    assert report["totals"]["discovered"] == 12
    assert report["totals"]["not_processed"] == 12
    assert_accounted(report)


def test_cancel_leaves_no_worker_process(tmp_path):
    folder = make_folder(tmp_path / "in", good=6)
    batch = Batch(BatchConfig(folder, tmp_path / "out", workers=2, processor="faulty:slow"))
    pids: list[int] = []

    def cancel_after_first(batch, event, events):
        if isinstance(event, DocumentFinished):
            pids.append(event.record.data["pid"])
            batch.cancel()

    _, finished = run_batch(batch, cancel_after_first)
    assert finished.status == "cancelled"
    assert pids and live_processes(pids) == []
    assert_accounted(report_of(tmp_path / "out"))


def test_a_stop_while_workers_start_ends_the_starting(tmp_path):
    """Workers start as documents are handed out, so with many workers the
    first hand-out starts them all: Ctrl+C in the middle must not wait for
    the rest (seconds for a few hundred on a small machine)."""
    folder = make_folder(tmp_path / "in", good=20)
    handed_out: list[Task] = []

    def pool_stopped_at_its_first_task(settings, workers):
        pool = ProcessPool(settings, workers)
        submit = pool.submit

        def submit_then_stop(task: Task) -> bool:
            handed_out.append(task)
            batch.interrupt()  # as the signal handler does
            return submit(task)

        pool.submit = submit_then_stop
        return pool

    config = BatchConfig(folder, tmp_path / "out", workers=20, processor="faulty:hang")
    batch = Batch(config, executor=pool_stopped_at_its_first_task)
    _, finished = run_batch(batch)
    assert finished.status == "interrupted"
    assert len(handed_out) == 1
    assert_accounted(report_of(tmp_path / "out"))


def test_pause_starts_nothing_new_until_resumed(tmp_path):
    folder = make_folder(tmp_path / "in", good=6)
    batch = Batch(BatchConfig(folder, tmp_path / "out", workers=2, processor="faulty:slow"))
    timeline: list[tuple[str, float]] = []

    def pause_then_resume(batch, event, events):
        now = time.monotonic()
        if isinstance(event, DocumentStarted):
            timeline.append(("started", now))
            if len(timeline) == 2 and not batch.paused:
                batch.pause()
                timeline.append(("paused", now))
        if isinstance(event, Progress) and batch.paused and now - timeline[2][1] > 1.0:
            assert event.snapshot.paused
            batch.resume()
            timeline.append(("resumed", now))

    events, finished = run_batch(batch, pause_then_resume)
    assert finished.status == "completed"
    kinds = [kind for kind, _ in timeline]
    assert kinds[:4] == ["started", "started", "paused", "resumed"]
    assert kinds.count("started") == 6
    resumed_at = dict(timeline)["resumed"]
    assert all(at >= resumed_at for kind, at in timeline[4:] if kind == "started")


def test_a_paused_batch_with_nothing_running_waits_without_spinning(tmp_path):
    """Paused before its first document, the controller sleeps in its poll:
    it must not take a core from the machine it was paused to spare."""
    folder = make_folder(tmp_path / "in", good=4)
    batch = Batch(BatchConfig(folder, tmp_path / "out", workers=1))
    idle: dict[str, float] = {}

    def pause_at_once(batch, event, events):
        if isinstance(event, BatchStarted):
            batch.pause()
            idle["cpu"], idle["wall"] = time.thread_time(), time.monotonic()
        elif isinstance(event, Progress) and batch.paused and time.monotonic() - idle["wall"] >= 1.0:
            assert not event.snapshot.in_flight and event.snapshot.totals.done == 0
            idle["cpu"] = time.thread_time() - idle["cpu"]
            idle["wall"] = time.monotonic() - idle["wall"]
            batch.resume()

    events, finished = run_batch(batch, pause_at_once)
    assert finished.status == "completed" and len(finished_records(events)) == 4
    assert idle["cpu"] < 0.25 * idle["wall"], idle


def test_worker_count_changes_mid_run_without_losing_or_repeating(tmp_path):
    folder = make_folder(tmp_path / "in", good=16)
    batch = Batch(BatchConfig(folder, tmp_path / "out", workers=1, processor="faulty:slow"))
    changed_at: list[float] = []

    def grow(batch, event, events):
        if isinstance(event, DocumentFinished) and not changed_at:
            batch.set_workers(3)
            changed_at.append(time.time())

    events, finished = run_batch(batch, grow)
    records = finished_records(events)
    assert sorted(r.path for r in records) == sorted(f"doc-{i:03d}.pdf" for i in range(16))
    spans = [(r.data["start"], r.data["end"]) for r in records]
    most_at_once = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most_at_once == 3
    assert all(s < changed_at[0] for s, _ in spans[:1])
    assert finished.snapshot.workers == 3
    assert len({r.data["pid"] for r in records}) >= 3


def test_worker_count_shrinks_mid_run(tmp_path):
    folder = make_folder(tmp_path / "in", good=14)
    batch = Batch(BatchConfig(folder, tmp_path / "out", workers=3, processor="faulty:slow"))
    changed: list[float] = []

    def shrink(batch, event, events):
        if isinstance(event, DocumentFinished) and not changed:
            batch.set_workers(1)
            changed.append(time.time())

    events, _ = run_batch(batch, shrink)
    records = finished_records(events)
    assert len(records) == 14
    later = [(r.data["start"], r.data["end"]) for r in records if r.data["start"] > changed[0] + 0.5]
    assert later, "some documents started after the change"
    assert max(sum(1 for s, e in later if s <= t < e) for t, _ in later) == 1


def test_progress_snapshots_carry_totals_and_eta(tmp_path):
    folder = make_folder(tmp_path / "in", good=20)
    events, finished = run_batch(
        Batch(BatchConfig(folder, tmp_path / "out", workers=2, processor="faulty:slow"))
    )
    snapshots = [event.snapshot for event in events if isinstance(event, Progress)]
    assert snapshots, "progress is reported while the batch runs"
    assert snapshots[-1].totals.discovered == 20
    assert any(s.eta_seconds is not None for s in snapshots)
    assert all(len(s.in_flight) <= 2 for s in snapshots)
    assert finished.snapshot.totals.done == 20


def test_the_eta_learns_which_document_was_each_workers_first(tmp_path, monkeypatch):
    learned = []
    original = EtaEstimator.document_finished

    def recording(self, bytes, seconds, now, *, warming=False):
        learned.append(warming)
        original(self, bytes, seconds, now, warming=warming)

    monkeypatch.setattr(EtaEstimator, "document_finished", recording)
    folder = make_folder(tmp_path / "in", good=4)
    run_batch(Batch(BatchConfig(folder, tmp_path / "out", workers=1)))
    assert learned == [True, False, False, False]


@pytest.mark.parametrize(
    "config, message",
    [
        (lambda tmp: BatchConfig(tmp / "missing"), "folder not found"),
        (lambda tmp: BatchConfig(make_pdf(tmp / "a.pdf")), "not a folder"),
        (lambda tmp: BatchConfig(tmp, processor="nosuchmodule:run"), "cannot import"),
        (lambda tmp: BatchConfig(tmp, processor="bogus"), "unknown processor"),
        (lambda tmp: BatchConfig(tmp, processor="exits_at_import:run"), r"it exited \(5\)"),
        (lambda tmp: BatchConfig(tmp, output=make_pdf(tmp / "b.pdf")), "cannot write to output"),
        (lambda tmp: BatchConfig(tmp, report=tmp / "r.txt"), ".json"),
        (lambda tmp: BatchConfig(tmp, memory_limit=1024**2), "at least 64 MiB"),
        (lambda tmp: BatchConfig(tmp, memory_limit=2**43 * 1024**2), "too large"),
    ],
)
def test_bad_setup_is_one_clear_error(tmp_path, config, message):
    with pytest.raises(SetupError, match=message):
        Batch(config(tmp_path))


def test_output_inside_input_is_not_processed_as_input(tmp_path):
    folder = make_folder(tmp_path / "in", good=3)
    output = folder / "docpool-out"
    run_batch(Batch(BatchConfig(folder, output, workers=2)))
    make_pdf(output / "stray.pdf")
    run_batch(Batch(BatchConfig(folder, output, workers=2, overwrite=True)))
    report = report_of(output)
    assert report["totals"]["discovered"] == 3


def test_rerun_over_an_earlier_run_needs_resume_or_overwrite(tmp_path):
    folder = make_folder(tmp_path / "in", good=2)
    output = tmp_path / "out"
    run_batch(Batch(BatchConfig(folder, output, workers=1)))
    with pytest.raises(SetupError, match="--resume"):
        Batch(BatchConfig(folder, output))
    _, finished = run_batch(Batch(BatchConfig(folder, output, workers=1, resume=True)))
    report = report_of(output)
    assert report["totals"]["resumed"] == 2
    assert report["totals"]["succeeded"] == 2
    assert report["totals"]["processed_this_run"] == 0


def test_the_end_of_an_interrupted_resume_counts_what_it_took_over(tmp_path):
    folder, output = make_folder(tmp_path / "in", good=20), tmp_path / "out"
    run_batch(Batch(BatchConfig(folder, output, workers=2, processor="info")))

    def stop_at_once(batch, event, events):
        if isinstance(event, BatchStarted):
            batch.interrupt()

    _, finished = run_batch(
        Batch(BatchConfig(folder, output, workers=2, processor="info", resume=True)), stop_at_once
    )
    report = report_of(output)
    assert finished.status == report["status"] == "interrupted"
    assert finished.snapshot.totals.succeeded == report["totals"]["succeeded"] == 20
    assert finished.not_processed == report["totals"]["not_processed"] == 0


def test_when_the_report_cannot_be_written_the_end_still_counts_every_document(tmp_path):
    folder, output = make_folder(tmp_path / "in", good=30), tmp_path / "out"
    reports = tmp_path / "reports"

    def block_the_report_then_stop(batch, event, events):
        if isinstance(event, DocumentFinished) and not reports.is_file():
            reports.rmdir()
            reports.write_text("in the way")
            batch.interrupt()

    _, finished = run_batch(
        Batch(BatchConfig(folder, output, workers=1, processor="info", report=reports / "r.json")),
        block_the_report_then_stop,
    )
    assert finished.report_path == "" and "cannot write the report" in finished.problem
    totals = finished.snapshot.totals
    assert totals.succeeded + totals.failed + finished.not_processed == 30


@pytest.mark.parametrize("fails", ["at the start", "mid-run"])
def test_when_rows_cannot_be_taken_as_they_land_the_report_reads_them_back(
    tmp_path, monkeypatch, fails
):
    """A full disk for the report's temporary rows loses no row: each
    document is in the report exactly once all the same."""
    import tui.engine
    import tui.report

    if fails == "at the start":
        def no_rows(folder):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(tui.engine, "ReportRows", no_rows)
    else:
        add = tui.report.ReportRows.add
        taken = []

        def add_until_full(self, record):
            if len(taken) == 7:
                raise OSError(28, "No space left on device")
            taken.append(record)
            add(self, record)

        monkeypatch.setattr(tui.report.ReportRows, "add", add_until_full)
    folder, output = make_folder(tmp_path / "in", good=15, broken=3), tmp_path / "out"
    _, finished = run_batch(Batch(BatchConfig(folder, output, workers=2, processor="info")))

    assert finished.status == "completed"
    report = report_of(output)
    assert (report["totals"]["succeeded"], report["totals"]["failed"]) == (15, 3)
    rows = (output / "report.csv").read_text().splitlines()[1:]
    paths = [row.split(",")[0] for row in rows]
    assert sorted(paths) == sorted(p.name for p in folder.glob("*.pdf"))


def test_a_resumed_run_reports_the_earlier_runs_records_and_its_own_once(tmp_path):
    folder, output = make_folder(tmp_path / "in", good=60), tmp_path / "out"

    def stop_after_four(batch, event, events):
        if len(finished_records(events)) == 4:
            batch.interrupt()

    run_batch(Batch(BatchConfig(folder, output, workers=1, processor="info")), stop_after_four)
    first = [row.split(",")[:2] for row in (output / "report.csv").read_text().splitlines()[1:]]
    done_first = {path for path, status in first if status == "succeeded"}
    assert 4 <= len(done_first) < 60
    _, finished = run_batch(Batch(BatchConfig(folder, output, workers=2, processor="info", resume=True)))

    assert finished.status == "completed"
    rows = [row.split(",")[:2] for row in (output / "report.csv").read_text().splitlines()[1:]]
    assert sorted(path for path, _ in rows) == sorted(p.name for p in folder.glob("*.pdf"))
    assert {status for _, status in rows} == {"succeeded"}
    # the earlier run's records first, in its order, then this run's
    assert [path for path, _ in rows[: len(done_first)]] == [
        path for path, status in first if status == "succeeded"
    ]


class JumpingClock:
    """The real monotonic clock, plus jumps a test makes (time the process lay still)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def test_time_the_controller_lay_still_counts_against_no_timeout(tmp_path):
    """Ctrl+Z, then `fg` a minute later: the document in flight was not hanging."""
    folder = make_folder(tmp_path / "in", good=2)
    clock = JumpingClock()

    def stopped_for_a_minute(batch, event, events):
        if isinstance(event, DocumentStarted) and clock.offset == 0:
            clock.offset = 60.0

    events, finished = run_batch(
        Batch(BatchConfig(folder, tmp_path / "out", workers=1, timeout=5, processor="faulty:slow", retries=0), clock=clock),
        stopped_for_a_minute,
    )
    assert [record.status for record in finished_records(events)] == ["succeeded", "succeeded"]


def test_throughput_leaves_out_a_pause(tmp_path):
    folder = make_folder(tmp_path / "in", good=24)
    clock = JumpingClock()
    seen: dict[str, float] = {}

    def pause_for_a_while(batch, event, events):
        done = sum(isinstance(e, DocumentFinished) for e in events)
        if isinstance(event, Progress) and not batch.paused and "before" not in seen and done >= 8:
            seen["before"] = event.snapshot.docs_per_second
            batch.pause()
        elif isinstance(event, Progress) and batch.paused and not event.snapshot.in_flight:
            seen["paused"] = event.snapshot.docs_per_second
            clock.offset += 30.0
            batch.resume()
            seen["resumed_at"] = done
        elif isinstance(event, Progress) and "resumed_at" in seen and "after" not in seen:
            if done >= seen["resumed_at"] + 4:
                seen["after"] = event.snapshot.docs_per_second

    run_batch(
        Batch(BatchConfig(folder, tmp_path / "out", workers=2, processor="faulty:slow"), clock=clock),
        pause_for_a_while,
    )
    assert seen["paused"] == 0.0
    assert seen["after"] > seen["before"] / 3, seen


def test_a_run_that_loses_the_output_folder_to_another_writes_no_report_there(tmp_path):
    """Another run took the folder between the check and the start: its report is its own."""
    folder, output = make_folder(tmp_path / "in", good=3), tmp_path / "out"
    batch = Batch(BatchConfig(folder, output, workers=1, processor="info"))
    with open(output / "docpool-journal.jsonl", "a") as other_run:
        fcntl.flock(other_run, fcntl.LOCK_EX | fcntl.LOCK_NB)
        events, finished = run_batch(batch)
    assert finished.report_path == "" and "in use by another docpool run" in finished.problem
    assert not (output / "report.json").exists()


def _refusals(tmp_path: Path) -> list[tuple[BatchConfig, str]]:
    """Each setup refusal whose fix is a command-line flag, and its exact words."""
    folder = make_folder(tmp_path / "in", good=1)
    earlier = tmp_path / "earlier"
    run_batch(Batch(BatchConfig(folder, earlier, workers=1, processor="info")))
    crowded = tmp_path / "crowded"
    crowded.mkdir()
    (crowded / "notes.txt").write_text("mine")
    mine = tmp_path / "mine" / "report.json"
    mine.parent.mkdir()
    mine.write_text("{}")
    return [
        (
            BatchConfig(folder, earlier),
            f"{earlier} already holds a docpool run: use --resume to continue it "
            "or --overwrite to start again",
        ),
        (
            BatchConfig(folder, earlier, resume=True),
            f"{earlier} holds a run with processor 'info', not 'text': "
            "resume with the same processor or use --overwrite",
        ),
        (
            BatchConfig(folder, tmp_path / "a", report=tmp_path / "r.txt"),
            f"--report must name a .json file: {tmp_path / 'r.txt'}",
        ),
        (
            BatchConfig(folder, tmp_path / "b", report=mine),
            f"{mine} exists and is not a docpool report: choose another --report path, "
            "or --overwrite to replace it",
        ),
        (
            BatchConfig(folder, tmp_path / "c", resume=True, overwrite=True),
            "choose --resume or --overwrite, not both",
        ),
        (
            BatchConfig(folder, crowded),
            f"{crowded} already holds other files: choose an empty or new output folder, "
            "or --overwrite to write into it anyway (files with the same names are replaced)",
        ),
    ]


def test_setup_refusals_keep_their_command_line_words(tmp_path):
    """Users' scripts may grep these: they stay word for word."""
    for config, words in _refusals(tmp_path):
        with pytest.raises(SetupError) as refused:
            Batch(config)
        assert str(refused.value) == words


class SlowToStartPool(ProcessPool):
    """Each worker takes a second to start, as a loaded machine or `-w 300` may."""

    def _start_worker(self):
        time.sleep(1.0)
        return super()._start_worker()


def test_time_spent_starting_workers_is_not_taken_for_a_stall(tmp_path):
    """Three slow worker starts in one turn (3 s) are work, not Ctrl+Z: the
    documents already running keep their start times, so none starts in the future."""
    folder = make_folder(tmp_path / "in", good=6)
    events, finished = run_batch(
        Batch(
            BatchConfig(folder, tmp_path / "out", workers=3, processor="faulty:slow"),
            executor=SlowToStartPool,
        )
    )
    snapshots = [event.snapshot for event in events if isinstance(event, Progress)]
    assert any(snapshot.in_flight for snapshot in snapshots)
    for snapshot in snapshots:
        assert all(document.started <= snapshot.now for document in snapshot.in_flight), snapshot
    assert finished.status == "completed"
