"""A batch run through the app: real worker processes on generated PDFs.

Tests are plain functions that `asyncio.run` a Pilot scenario (no async plugin needed).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from pdfs import make_broken, make_folder
from pilot_waits import wait_for
from textual.message import Message

from tui.app import DocpoolApp
from tui.messages import DocumentsFailed, RunFinished, RunProgress
from tui.process_start import prepare_process_start
from tui.screens import run as run_screen
from tui.screens.confirm import ConfirmScreen
from tui.screens.error_detail import ErrorDetailScreen
from tui.screens.journal_choice import JournalChoiceScreen
from tui.screens.run import RunScreen
from tui.screens.start import StartScreen
from tui.widgets.error_table import ErrorTable
from tui.widgets.slider import Slider

SIZE = (120, 40)
ODD_NAMES = ("report [draft].pdf", "a[/]b.pdf", "[bold]loud[/bold].pdf")


@pytest.fixture(autouse=True)
def process_start() -> None:
    """As `run_app` does before the app takes over stdout."""
    prepare_process_start()


def read_report(output: Path) -> dict:
    return json.loads((output / "report.json").read_text())


def test_a_batch_shows_progress_and_errors_then_its_summary(tmp_path):
    folder = make_folder(tmp_path / "in", good=3)
    for name in ODD_NAMES:
        make_broken(folder / name.replace("/", "_"))
    make_broken(folder / "sub" / "deep.pdf", b"%PDF-1.4 garbage")
    output = tmp_path / "out"
    seen: dict[int, Message] = {}

    def hook(message: Message) -> None:
        # A message is seen once per node it bubbles through: keep each once.
        if isinstance(message, (RunProgress, DocumentsFailed, RunFinished)):
            seen[id(message)] = message

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=2, output=output, cpu_count=2)
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RunScreen)
            await wait_for(pilot, lambda: screen.finished is not None)
            await pilot.pause(0.3)
            assert screen.has_class("-finished")
            table = screen.query_one("#errors", ErrorTable)
            shown = sorted(str(table.get_row_at(row)[0]) for row in range(table.row_count))
            assert shown == sorted(["sub/deep.pdf", *(n.replace("/", "_") for n in ODD_NAMES)])
            summary = str(screen.query_one("#summary").content)
            assert "Batch completed" in summary
            assert str(output / "report.json") in summary
            table.focus()
            table.move_cursor(row=0)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ErrorDetailScreen)
            detail = str(app.screen.query_one("#detail").content)
            assert app.screen.record.path in detail
            assert app.screen.record.message in detail
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            # Again, into the same output: the app asks what to do with the earlier run.
            app.screen.query_one("#start").focus()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, JournalChoiceScreen)
            await pilot.click("#overwrite")
            await pilot.pause()
            again = app.screen
            assert isinstance(again, RunScreen) and again is not screen
            await wait_for(pilot, lambda: again.finished is not None)
            assert again.finished.status == "completed"

    asyncio.run(scenario())
    failed = [record.path for m in seen.values() if isinstance(m, DocumentsFailed) for record in m.records]
    assert sorted(failed) == sorted(2 * ["sub/deep.pdf", *(n.replace("/", "_") for n in ODD_NAMES)])
    assert any(isinstance(m, RunProgress) for m in seen.values())
    finished = [m for m in seen.values() if isinstance(m, RunFinished)]
    assert [m.event.status for m in finished] == ["completed", "completed"]
    report = read_report(output)
    assert report["status"] == "completed"
    assert report["totals"]["succeeded"] == 3
    assert report["totals"]["failed"] == 4


def test_workers_pause_and_cancel_steer_the_running_batch(tmp_path):
    folder = make_folder(tmp_path / "in", good=30)
    output = tmp_path / "out"
    snapshots = []

    def hook(message: Message) -> None:
        if isinstance(message, RunProgress):
            snapshots.append(message.snapshot)

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, output=output, processor="faulty:slow", cpu_count=2)
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RunScreen)
            # Focus starts on the errors: Down or PageDown there leave the workers alone.
            assert app.focused is screen.query_one("#errors", ErrorTable)
            await wait_for(pilot, lambda: snapshots and snapshots[-1].in_flight)
            await pilot.press("down", "pagedown", "end")
            assert screen.query_one("#workers", Slider).value == 1
            await pilot.press("tab")
            assert app.focused is screen.query_one("#workers", Slider)
            await pilot.press("right")
            await wait_for(pilot, lambda: snapshots[-1].workers == 2)
            await wait_for(pilot, lambda: len(snapshots[-1].in_flight) == 2)
            await pilot.press("p")
            assert app.batch.paused
            await wait_for(pilot, lambda: snapshots[-1].paused and not snapshots[-1].in_flight)
            await pilot.pause(0.3)
            assert screen.query_one("#paused").display
            done = snapshots[-1].totals.done
            await pilot.pause(0.5)
            assert snapshots[-1].totals.done == done
            await pilot.press("p")
            assert not app.batch.paused
            await wait_for(pilot, lambda: snapshots[-1].totals.done > done)
            # Cancel asks first; No keeps the batch running.
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            assert app.screen is screen and screen.running
            await pilot.press("f8")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await wait_for(pilot, lambda: screen.finished is not None)
            assert screen.finished.status == "cancelled"
            assert screen.finished.not_processed > 0

    asyncio.run(scenario())
    report = read_report(output)
    assert report["status"] == "cancelled"
    assert report["workers"] == 2


def test_quitting_mid_run_asks_then_writes_an_interrupted_report(tmp_path):
    folder = make_folder(tmp_path / "in", good=30)
    output = tmp_path / "out"

    async def scenario() -> DocpoolApp:
        app = DocpoolApp(folder, workers=2, output=output, processor="faulty:slow", cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            await wait_for(pilot, lambda: screen.snapshot is not None and screen.snapshot.totals.done)
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")
            await pilot.pause()
            assert app.screen is screen and app.batch is not None
            await pilot.press("ctrl+q")
            await pilot.pause()
            await pilot.press("y")
            await wait_for(pilot, lambda: app.batch_done.is_set())
            await pilot.pause(0.2)
        return app

    app = asyncio.run(scenario())
    assert app.return_code == 0
    report = read_report(output)
    assert report["status"] == "interrupted"
    assert report["totals"]["not_processed"] > 0


def test_the_command_palette_offers_pause_and_cancel():
    from test_snapshots import StillBatch

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            batch = StillBatch()
            await app.push_screen(RunScreen(batch, folder="/x", workers=2, max_workers=4))
            await pilot.pause()
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"pause", "enter")
            await wait_for(pilot, lambda: batch.paused)

    asyncio.run(scenario())


def test_a_flood_of_events_keeps_the_screen_responsive():
    """Tens of thousands of events a second: the UI loop keeps ticking and no failure is lost."""
    from test_snapshots import StillBatch, sample_snapshot

    from tui.events import BatchFinished, DocumentFinished, DocumentRecord, Progress

    class Flood(StillBatch):
        def run(self):
            for index in range(30_000):
                failed = index % 10 == 0
                yield DocumentFinished(DocumentRecord(
                    f"dir/doc-{index}.pdf", "failed" if failed else "succeeded",
                    error="PdfReadError" if failed else "", message="EOF marker not found",
                ))
                if index % 1000 == 0:
                    yield Progress(sample_snapshot(5))
            yield BatchFinished("completed", sample_snapshot(5, finished=True), "/x/report.json", 0)

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            gaps: list[float] = []
            last = [asyncio.get_running_loop().time()]

            def beat() -> None:
                now = asyncio.get_running_loop().time()
                gaps.append(now - last[0])
                last[0] = now

            app.set_interval(0.02, beat)
            screen = RunScreen(Flood(), folder="/x", workers=2, max_workers=4)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: screen.finished is not None)
            assert screen.failures == 3_000
            assert max(gaps) < 0.5

    asyncio.run(scenario())


def test_the_in_flight_table_follows_documents_without_relayout():
    """Rows are reused by position: documents come and go, the table shows
    exactly the running ones, oldest first, and a longer path widens its column."""
    from dataclasses import replace

    from test_snapshots import sample_snapshot

    from tui.events import InFlight
    from tui.widgets.in_flight import InFlightTable

    def rows(table: InFlightTable) -> list[tuple[str, str]]:
        return [(str(table.get_row_at(i)[0]), str(table.get_row_at(i)[3])) for i in range(table.row_count)]

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            screen = RunScreen(None, folder="/x", workers=4, max_workers=4)
            await app.push_screen(screen)
            table = screen.query_one("#in-flight", InFlightTable)
            base = sample_snapshot()
            now = base.now
            table.show(base)
            await pilot.pause()
            assert rows(table) == [
                ("scans/2021/annual-report.pdf", "1"), ("scans/2023/q3 [final].pdf", "1"),
                ("scans/2023/minutes-0412.pdf", "2"), ("scans/2024/contract.pdf", "1"),
            ]
            long_path = "scans/" + "very-long-folder-name/" * 3 + "late.pdf"
            table.show(replace(base, in_flight=(
                InFlight(long_path, 10, now - 0.1, 1),
                InFlight("scans/2023/q3 [final].pdf", 2_300_000, now - 4.1, 1),
            )))
            await pilot.pause()
            assert rows(table) == [("scans/2023/q3 [final].pdf", "1"), (long_path, "1")]
            assert table.columns[next(iter(table.columns))].content_width >= len(long_path)
            table.show(replace(base, in_flight=()))
            await pilot.pause()
            assert table.row_count == 0
            table.show(base)
            await pilot.pause()
            assert [path for path, _ in rows(table)][0] == "scans/2021/annual-report.pdf"

    asyncio.run(scenario())


def test_the_summary_says_how_many_documents_were_gone_since_the_earlier_run():
    from test_snapshots import sample_snapshot

    from tui.events import BatchFinished
    from tui.widgets.summary import describe_finish

    snapshot = sample_snapshot(finished=True)
    plain = describe_finish(BatchFinished("completed", snapshot, "/x/report.json", 0)).plain
    assert "no longer in the folder" not in plain
    gone = BatchFinished("completed", snapshot, "/x/report.json", 0, removed=3)
    assert "3 recorded by the earlier run are no longer in the folder" in describe_finish(gone).plain


def run_never_painted(tmp_path, monkeypatch, wait_seconds: float, *, leave: bool) -> tuple[DocpoolApp, Path]:
    """Start a batch of 3 documents whose run screen's first paint never
    signals, so its batch thread waits `wait_seconds`; then leave the app at
    once (`leave`) or let the batch end."""
    monkeypatch.setattr(run_screen, "FIRST_PAINT_WAIT_SECONDS", wait_seconds)
    monkeypatch.setattr(RunScreen, "_first_painted", lambda self: None)
    folder = make_folder(tmp_path / "in", good=3)
    output = tmp_path / "out"

    async def scenario() -> DocpoolApp:
        app = DocpoolApp(folder, workers=2, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunScreen))
            if leave:
                app.exit(0)
            else:
                await wait_for(pilot, lambda: app.batch_done.is_set())
        return app

    return asyncio.run(scenario()), output


def test_a_run_screen_gone_before_its_first_paint_still_reports_at_once(tmp_path, monkeypatch):
    """The batch thread waits for the screen's first paint; a screen that goes
    first (a hang-up, a quit) ends that wait, so the report is written now."""
    leaving = time.monotonic()
    app, output = run_never_painted(tmp_path, monkeypatch, 60.0, leave=True)
    assert app.batch_done.wait(20)
    assert time.monotonic() - leaving < 20  # not the 60 s wait for a paint
    report = read_report(output)
    assert report["status"] == "interrupted"
    assert report["totals"]["not_processed"] == 3


def test_a_batch_starts_even_if_the_first_paint_is_never_seen(tmp_path, monkeypatch):
    _, output = run_never_painted(tmp_path, monkeypatch, 0.2, leave=False)
    assert read_report(output)["status"] == "completed"
