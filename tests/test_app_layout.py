"""The screens at small terminal sizes: nothing that matters is out of reach.

Tests are plain functions that `asyncio.run` a Pilot scenario (no async plugin needed).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

import pytest
from pdfs import make_pdf
from test_snapshots import SAMPLE_FAILURES, sample_snapshot
from textual.app import App
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Collapsible

from tui.app import DocpoolApp
from tui.events import DocumentRecord, InFlight
from tui.messages import RunFinished
from tui.screens.error_detail import ErrorDetailScreen
from tui.screens.run import RunScreen
from tui.widgets.error_table import ErrorTable
from tui.widgets.in_flight import InFlightTable
from tui.widgets.short_path import shorten_path

SMALL_SIZES = [(60, 20), (80, 24)]
DEEP = "archive/2019/customers/north-east-region/contracts/signed/very-long-folder-name"


def screen_lines(app: App) -> list[str]:
    """What the terminal shows now, line by line."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def in_view(widget: Widget, container: Widget) -> bool:
    """Whether all of `widget` is inside what `container` shows (and on the screen)."""
    return container.content_region.contains_region(widget.region) and (
        widget.screen.region.contains_region(widget.region)
    )


async def settle(pilot: Pilot) -> None:
    """Let scrolls that wait for the next refresh start, then finish animating."""
    await pilot.pause(0.1)
    await pilot.wait_for_scheduled_animations()


def deep_failures(count: int) -> list[DocumentRecord]:
    return [
        DocumentRecord(
            f"{DEEP}/agreement-{index:04d}.pdf", "failed", bytes=10,
            error="PdfReadError", message="EOF marker not found", attempts=1,
        )
        for index in range(count)
    ]


def test_shorten_path_keeps_the_file_name():
    assert shorten_path("a/b.pdf", 20) == "a/b.pdf"
    short = shorten_path(f"{DEEP}/agreement-0001.pdf", 30)
    assert len(short) == 30
    assert short.endswith("/agreement-0001.pdf") and short.startswith("archive/")
    assert "…" in short
    name_only = shorten_path(f"{DEEP}/{'x' * 40}-0001.pdf", 20)
    assert len(name_only) == 20 and name_only.endswith("-0001.pdf") and name_only.startswith("xx")
    assert shorten_path("日本語/文書ファイルの名前.pdf", 12).endswith(".pdf")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_error_column_stays_in_view_with_deep_paths(size):
    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=size) as pilot:
            screen = RunScreen(None, folder="/x", workers=2, max_workers=4)
            await app.push_screen(screen)
            await pilot.pause()
            screen.add_failures(deep_failures(2))
            screen.refresh_view()
            await pilot.pause()
            table = screen.query_one("#errors", ErrorTable)
            assert table.file_width <= 0.4 * table.size.width
            shown = "\n".join(screen_lines(app))
            assert "PdfReadError" in shown
            assert "Error" in shown
            for index in range(2):
                assert f"…/agreement-{index:04d}.pdf" in shown
            # The detail screen still has the whole path.
            table.move_cursor(row=1)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ErrorDetailScreen)
            assert f"{DEEP}/agreement-0001.pdf" in str(app.screen.query_one("#detail").content)

    asyncio.run(scenario())


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_the_start_screen_scrolls_to_every_field(tmp_path, size):
    folder = tmp_path / "pdfs"
    make_pdf(folder / "one.pdf")

    async def scenario() -> None:
        app = DocpoolApp(folder, output=tmp_path / "out", cpu_count=2)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            screen = app.screen
            form = screen.query_one("#form")
            start = screen.query_one("#start", Button)
            assert app.focused is start
            await pilot.pause()
            assert in_view(start, form)
            # Expanding scrolls the section into view after a refresh, animated;
            # a Tab pressed before that lands would have it scroll the field away.
            screen.query_one("#more", Collapsible).collapsed = False
            await settle(pilot)
            seen = set()
            for _ in range(20):
                await pilot.press("tab")
                # The screen scrolls to a newly focused widget after a refresh,
                # animated: what the user sees is where it settles.
                await settle(pilot)
                focused = app.focused
                assert focused is not None
                assert in_view(focused, form), focused
                seen.add(focused.id)
                if focused is start:
                    break
            assert {"folder", "workers", "follow-symlinks", "start"} <= seen
            assert isinstance(screen.query_one("#follow-symlinks"), Checkbox)

    asyncio.run(scenario())


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_the_error_detail_fits_and_scrolls(size):
    record = replace(
        SAMPLE_FAILURES[2],
        path=f"{DEEP}/agreement-0001.pdf",
        message="Could not read the cross reference table; the file may be damaged. " * 12
        + "LAST-WORD",
    )

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=size) as pilot:
            await app.push_screen(ErrorDetailScreen(record))
            await pilot.pause()
            screen = app.screen
            box = screen.query_one("ErrorDetailScreen > Vertical")
            scroll = screen.query_one(VerticalScroll)
            assert app.focused is scroll
            assert in_view(screen.query_one("#close", Button), box)
            assert box.content_region.contains_region(scroll.region)
            assert scroll.max_scroll_y > 0
            await pilot.press("pagedown")
            await pilot.pause()
            assert scroll.scroll_y > 0
            await pilot.press("end")
            await pilot.pause()
            assert scroll.scroll_y == scroll.max_scroll_y
            shown = screen_lines(app)[scroll.region.y : scroll.region.bottom]
            assert any("LAST-WORD" in line for line in shown), "\n".join(shown)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, ErrorDetailScreen)

    asyncio.run(scenario())


def test_the_in_flight_title_counts_the_documents():
    base = sample_snapshot()

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=(80, 40)) as pilot:
            screen = RunScreen(None, folder="/x", workers=12, max_workers=16)
            await app.push_screen(screen)
            table = screen.query_one("#in-flight", InFlightTable)
            many = tuple(
                InFlight(f"scans/doc-{index:02d}.pdf", 1000, base.now - index, 1) for index in range(12)
            )
            table.show(replace(base, in_flight=many))
            await pilot.pause()
            assert any("In flight (12)" in line for line in screen_lines(app))
            table.show(replace(base, in_flight=()))
            await pilot.pause()
            assert not any("In flight (" in line for line in screen_lines(app))

    asyncio.run(scenario())


def test_a_tree_started_without_a_folder_names_its_root(tmp_path, monkeypatch):
    (tmp_path / "work" / "pdfs").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(tmp_path))

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            tree = app.screen.query_one("#tree")
            assert str(tree.root.label) == "~/work"
            assert tree.path == Path(tmp_path / "work")
            tree.path = Path(".")
            await pilot.pause()
            assert str(tree.root.label) == "~/work"
            tree.path = Path("/")
            await pilot.pause()
            assert str(tree.root.label) == "/"

    asyncio.run(scenario())


def visible_on_screen(widget: Widget) -> bool:
    """Whether all of `widget` shows between the header and the footer, without scrolling."""
    screen = widget.screen
    top = screen.query_one("Header").region.bottom
    bottom = screen.query_one("Footer").region.y
    return (
        widget.region.height > 0
        and screen.region.contains_region(widget.region)
        and top <= widget.region.y
        and widget.region.bottom <= bottom
    )


def many_in_flight(count: int):
    base = sample_snapshot()
    return replace(
        base,
        in_flight=tuple(
            InFlight(f"scans/{2019 + index % 5}/quarterly-statement-{index:03d}.pdf", 2_000_000, base.now - index, 1)
            for index in range(count)
        ),
    )


@pytest.mark.parametrize("size", SMALL_SIZES)
@pytest.mark.parametrize("in_flight", [4, 8])
def test_the_run_screen_fits_a_small_terminal(size, in_flight):
    from test_snapshots import show_run

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=size) as pilot:
            screen = await show_run(pilot)
            screen.snapshot = many_in_flight(in_flight)
            screen.refresh_view()
            await pilot.pause()
            assert screen.max_scroll_y == 0
            for selector in ("#progress", "#throughput", "#workers", "#in-flight", "#errors-panel"):
                assert visible_on_screen(screen.query_one(selector)), selector
            errors = screen.query_one("#errors", ErrorTable)
            in_flight_table = screen.query_one("#in-flight", InFlightTable)
            # A title and at least two rows of each table, every column in view.
            assert in_flight_table.region.height >= 3
            assert errors.region.height >= 3
            assert errors.max_scroll_x == 0 and in_flight_table.max_scroll_x == 0
            shown = "\n".join(screen_lines(app))
            for title in (f"In flight ({in_flight})", "Attempt", "Errors (3)", "Error", "Attempts"):
                assert title in shown, title
            # Figures wrap between pieces rather than run off the panel.
            assert re.search(r"Data \S+ GiB / 3\.2 GiB", shown)
            assert re.search(r"Elapsed \d+ minutes and \d+ seconds", shown)
            # Pausing adds a line; the errors stay in view and keys still steer.
            await pilot.press("p")
            await pilot.pause()
            assert screen.query_one("#paused").display
            assert screen.max_scroll_y == 0
            assert visible_on_screen(screen.query_one("#errors-panel"))
            assert app.focused is errors
            await pilot.press("down")
            assert errors.cursor_row == 1

    asyncio.run(scenario())


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_the_summary_fits_a_small_terminal(size):
    from test_snapshots import show_run

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=size) as pilot:
            screen = await show_run(pilot, finished=True)
            await pilot.pause()
            assert screen.query_one("#done").max_scroll_y == 0
            assert screen.max_scroll_y == 0
            for selector in ("#summary", "#new", "#quit", "#errors-panel"):
                assert visible_on_screen(screen.query_one(selector)), selector
            errors = screen.query_one("#errors", ErrorTable)
            assert errors.region.height >= 3
            shown = "\n".join(screen_lines(app))
            assert "Batch interrupted" in shown and "report.json" in shown
            assert app.focused is screen.query_one("#new")
            await pilot.press("tab", "tab")
            await pilot.pause()
            assert app.focused is errors

    asyncio.run(scenario())


@pytest.mark.parametrize("size", SMALL_SIZES)
def test_a_long_summary_scrolls_and_keeps_the_errors_in_view(size):
    from test_snapshots import sample_finish, show_run

    finish = replace(
        sample_finish(),
        removed=12,
        problem="could not write the CSV report: disk full",
        report_path=f"/home/ana/{DEEP}/docpool-out/report.json",
    )

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=size) as pilot:
            screen = await show_run(pilot)
            screen.post_message(RunFinished(finish))
            await pilot.pause()
            await pilot.pause()
            assert screen.max_scroll_y == 0
            done = screen.query_one("#done")
            assert done.max_scroll_y > 0
            assert app.focused is screen.query_one("#new")
            for selector in ("#new", "#quit"):
                assert in_view(screen.query_one(selector), done), selector
            assert visible_on_screen(screen.query_one("#errors-panel"))
            assert screen.query_one("#errors", ErrorTable).region.height >= 3

    asyncio.run(scenario())
