"""The screens pinned as SVG snapshots, from fixed data rather than a live batch.

`screenshots/make_screenshots.py` takes the README's screenshots from these
same scenes. Update the baselines with `pytest tests/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from textual.pilot import Pilot

from tui.app import DocpoolApp
from tui.events import BatchFinished, DocumentRecord, Event, InFlight, ProgressSnapshot, Totals
from tui.messages import DocumentsFailed, RunFinished, RunProgress
from tui.screens.error_detail import ErrorDetailScreen
from tui.screens.run import RunScreen
from tui.widgets.pdf_count import PdfCount

SIZE = (120, 40)
NOW = 5000.0


class StillBatch:
    """Stands in for `tui.engine.Batch`: runs until interrupted and reports nothing,
    so the screen shows only the fixed data a scene feeds it."""

    def __init__(self) -> None:
        self.paused = False
        self.workers = 4
        self._stop = threading.Event()

    def run(self) -> Iterator[Event]:
        self._stop.wait(60)
        return iter(())

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def cancel(self) -> None:
        self._stop.set()

    def interrupt(self) -> None:
        self._stop.set()

    def set_workers(self, workers: int) -> None:
        self.workers = workers


def sample_app() -> DocpoolApp:
    return DocpoolApp(Path("scans"), workers=4, cpu_count=4, clock=lambda: NOW)


def make_sample_folder(root: Path) -> Path:
    """A folder the start screen can show the same way on any machine."""
    scans = root / "scans"
    for index in range(12):
        (scans / f"{2019 + index % 3}").mkdir(parents=True, exist_ok=True)
        (scans / f"{2019 + index % 3}" / f"invoice-{index:02d}.pdf").write_bytes(b"%PDF" + b"x" * 40_000)
    (scans / "report [draft].pdf").write_bytes(b"%PDF-1.4 garbage")
    (root / "archive").mkdir(exist_ok=True)
    return scans


def sample_snapshot(step: int = 10, finished: bool = False) -> ProgressSnapshot:
    done = 420 * step
    return ProgressSnapshot(
        elapsed=62.5 * step,
        totals=Totals(
            discovered=12_000,
            discovered_bytes=3_400_000_000,
            succeeded=done - 3,
            failed=3,
            pages=done * 23,
            bytes_done=done * 280_000,
        ),
        in_flight=()
        if finished
        else (
            InFlight("scans/2021/annual-report.pdf", 48_000_000, NOW - 95.2, 1),
            InFlight("scans/2023/q3 [final].pdf", 2_300_000, NOW - 4.1, 1),
            InFlight("scans/2023/minutes-0412.pdf", 310_000, NOW - 0.8, 2),
            InFlight("scans/2024/contract.pdf", 1_200_000, NOW - 0.2, 1),
        ),
        workers=4,
        paused=False,
        eta_seconds=None if finished else 1_290.0,
        docs_per_second=5.2 + (step % 4) * 0.9,
        pages_per_second=120.0 + (step % 5) * 11,
        bytes_per_second=1_500_000 + (step % 3) * 400_000,
        now=NOW,
    )


SAMPLE_FAILURES = (
    DocumentRecord(
        "report [draft].pdf", "failed", bytes=16, pages=0, seconds=0.01,
        error="PdfStreamError", message="Stream has ended unexpectedly", attempts=1,
    ),
    DocumentRecord(
        "scans/2020/[bold]scan[/bold].pdf", "failed", bytes=5_300_000, seconds=120.0,
        error="timeout", message="no result after 120 s; the worker was killed", attempts=2,
    ),
    DocumentRecord(
        "scans/2022/a[/]b.pdf", "failed", bytes=880_000, seconds=0.4, error="crashed",
        message="worker process died (SIGSEGV)\nwhile reading page 3 [of 9]", attempts=2,
    ),
)


def sample_finish() -> BatchFinished:
    return BatchFinished(
        status="interrupted",
        snapshot=sample_snapshot(finished=True),
        report_path="/home/ana/docpool-out/report.json",
        not_processed=7_800,
    )


async def show_run(pilot: Pilot, finished: bool = False) -> RunScreen:
    """Push a run screen and feed it what a running batch would have sent."""
    screen = RunScreen(StillBatch(), folder="/home/ana/scans", workers=4, max_workers=8)  # type: ignore[arg-type]
    await pilot.app.push_screen(screen)
    await pilot.pause()
    for step in range(1, 13):
        screen.post_message(RunProgress(sample_snapshot(step)))
        await pilot.pause()
        screen.refresh_view()
    screen.post_message(DocumentsFailed(SAMPLE_FAILURES))
    await pilot.pause()
    screen.refresh_view()
    if finished:
        screen.post_message(RunFinished(sample_finish()))
    await pilot.pause()
    return screen


async def show_start(pilot: Pilot) -> None:
    """Wait until the PDFs are counted and the tree has loaded."""
    await pilot.pause()
    screen = pilot.app.screen
    for _ in range(250):
        counted = screen.query_one("#count", PdfCount).documents is not None
        if counted and len(screen.query_one("#tree").root.children) == 2:
            break
        await pilot.pause(0.02)
    await pilot.pause()


async def show_error_detail(pilot: Pilot) -> None:
    await show_run(pilot)
    await pilot.app.push_screen(ErrorDetailScreen(SAMPLE_FAILURES[2]))
    await pilot.pause()


def test_start_screen(snap_compare, tmp_path, monkeypatch):
    make_sample_folder(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # the tree names its root ~, here and anywhere
    assert snap_compare(sample_app(), terminal_size=SIZE, run_before=show_start)


def test_run_screen_with_errors(snap_compare):
    assert snap_compare(sample_app(), terminal_size=SIZE, run_before=show_run)


def test_run_screen_at_60x20(snap_compare):
    """The smallest terminal the run screen is made for: every panel still shows."""
    assert snap_compare(sample_app(), terminal_size=(60, 20), run_before=show_run)


def test_error_detail(snap_compare):
    assert snap_compare(sample_app(), terminal_size=SIZE, run_before=show_error_detail)


def test_summary(snap_compare):
    async def finished(pilot: Pilot) -> None:
        await show_run(pilot, finished=True)

    assert snap_compare(sample_app(), terminal_size=SIZE, run_before=finished)
