"""The start screen's "More options": memory cap, retries and symlinks.

Tests are plain functions that `asyncio.run` a Pilot scenario (no async plugin needed).
"""

from __future__ import annotations

import asyncio
import json

import pytest
from pdfs import make_pdf
from pilot_waits import wait_for
from textual.widgets import Button, Checkbox, Collapsible, Input, Static
from textual.widgets._collapsible import CollapsibleTitle

from tui.app import DocpoolApp
from tui.cli import megabytes
from tui.process_start import prepare_process_start
from tui.screens.run import RunScreen
from tui.screens.start import StartScreen, memory_limit_problem, retries_problem

SIZE = (120, 40)
MIB = 1024 * 1024


def status_text(app: DocpoolApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


def test_memory_limit_and_retries_problems_are_one_clear_line():
    assert memory_limit_problem("") is None
    assert memory_limit_problem(" 512 ") is None
    assert memory_limit_problem("0") is None
    assert memory_limit_problem("lots") == (
        "Memory limit: a whole number of MiB (empty: automatic, 0: no cap)"
    )
    assert memory_limit_problem("1.5") == memory_limit_problem("lots")
    assert memory_limit_problem("-1") == "Memory limit: 0 or more MiB (0: no cap)"
    assert memory_limit_problem("1") == "Memory limit: at least 64 MiB (0: no cap)"
    assert memory_limit_problem("64") is None
    assert memory_limit_problem(str(2**43)).startswith("Memory limit: at most")
    assert retries_problem("0") is None
    assert retries_problem("3") is None
    assert retries_problem("") == "Retries: a whole number (0: never retry)"
    assert retries_problem("abc") == "Retries: a whole number (0: never retry)"
    assert retries_problem("-1") == "Retries: 0 or more"


def test_more_options_start_collapsed_with_the_defaults(tmp_path):
    folder = tmp_path / "pdfs"
    make_pdf(folder / "one.pdf")

    async def scenario() -> None:
        app = DocpoolApp(folder, output=tmp_path / "out", cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert screen.query_one("#more", Collapsible).collapsed
            assert screen.query_one("#memory-limit", Input).value == ""
            assert screen.query_one("#retries", Input).value == "1"
            assert screen.query_one("#follow-symlinks", Checkbox).value is False
            request, problem = screen.request()
            assert problem == ""
            assert (request.memory_limit, request.retries, request.follow_symlinks) == (
                None, 1, False,
            )
            # Collapsed, the options are out of the Tab order: back from Start is the title.
            assert app.focused is screen.query_one("#start", Button)
            await pilot.press("shift+tab")
            assert isinstance(app.focused, CollapsibleTitle)
            await pilot.press("shift+tab")
            assert app.focused is screen.query_one("#timeout", Input)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("memory_limit", "retries", "follow_symlinks"),
    [(megabytes(300), 1, False), (None, 0, False), (None, 1, True), (0, 4, True)],
)
def test_command_line_presets_show_in_the_fields_expanded(
    tmp_path, memory_limit, retries, follow_symlinks
):
    folder = tmp_path / "pdfs"
    make_pdf(folder / "one.pdf")

    async def scenario() -> None:
        app = DocpoolApp(
            folder, output=tmp_path / "out", cpu_count=2, memory_limit=memory_limit,
            retries=retries, follow_symlinks=follow_symlinks,
        )
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert not screen.query_one("#more", Collapsible).collapsed
            shown = "" if memory_limit is None else str(memory_limit // MIB)
            assert screen.query_one("#memory-limit", Input).value == shown
            assert screen.query_one("#retries", Input).value == str(retries)
            assert screen.query_one("#follow-symlinks", Checkbox).value is follow_symlinks
            request, problem = screen.request()
            assert problem == ""
            assert (request.memory_limit, request.retries, request.follow_symlinks) == (
                memory_limit, retries, follow_symlinks,
            )
            assert app.focused is screen.query_one("#start", Button)

    asyncio.run(scenario())


def test_a_bad_value_is_refused_and_shown_with_the_options_open(tmp_path):
    folder = tmp_path / "pdfs"
    make_pdf(folder / "one.pdf")

    async def scenario() -> None:
        app = DocpoolApp(folder, output=tmp_path / "out", cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            more = screen.query_one("#more", Collapsible)
            retries = screen.query_one("#retries", Input)
            memory = screen.query_one("#memory-limit", Input)
            retries.value = "-1"
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert app.batch is None
            assert status_text(app) == "Retries: 0 or more"
            assert not more.collapsed
            retries.value = "abc"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert status_text(app) == "Retries: a whole number (0: never retry)"
            retries.value = "2"
            memory.value = "lots"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert app.batch is None
            assert status_text(app) == (
                "Memory limit: a whole number of MiB (empty: automatic, 0: no cap)"
            )
            assert "\n" not in status_text(app)

    asyncio.run(scenario())


def test_options_set_from_the_keyboard_reach_the_batch(tmp_path):
    prepare_process_start()
    folder = tmp_path / "pdfs"
    make_pdf(folder / "one.pdf")
    elsewhere = tmp_path / "elsewhere"
    make_pdf(elsewhere / "linked.pdf")
    (folder / "link").symlink_to(elsewhere, target_is_directory=True)
    output = tmp_path / "out"

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert app.focused is screen.query_one("#start", Button)
            await pilot.press("shift+tab", "enter")
            await pilot.pause()
            assert not screen.query_one("#more", Collapsible).collapsed
            await pilot.press("tab")
            assert app.focused is screen.query_one("#memory-limit", Input)
            await pilot.press(*"2048", "tab")
            assert app.focused is screen.query_one("#retries", Input)
            await pilot.press("backspace", "3", "tab")
            assert app.focused is screen.query_one("#follow-symlinks", Checkbox)
            await pilot.press("space", "tab")
            assert app.focused is screen.query_one("#start", Button)
            await pilot.press("enter")
            await pilot.pause()
            run = app.screen
            assert isinstance(run, RunScreen)
            config = run.batch.config
            assert config.memory_limit == 2048 * MIB
            assert config.retries == 3
            assert config.follow_symlinks is True
            await wait_for(pilot, lambda: run.finished is not None)
        report = json.loads((output / "report.json").read_text())
        assert report["totals"]["succeeded"] == 2

    asyncio.run(scenario())
