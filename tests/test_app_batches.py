"""Starting batches from the app: the earlier-run question, one batch at a time.

Tests are plain functions that `asyncio.run` a Pilot scenario (no async plugin needed).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from pdfs import make_folder
from pilot_waits import wait_for
from textual.widgets import Button, Static

from tui.app import DocpoolApp
from tui.engine import Batch, BatchConfig
from tui.journal import Journal
from tui.screens.confirm import ConfirmScreen
from tui.process_start import prepare_process_start
from tui.screens.journal_choice import JournalChoiceScreen
from tui.screens.run import RunScreen
from tui.screens.start import StartScreen
from tui.widgets.folder_input import FolderInput

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def process_start() -> None:
    """As `run_app` does before the app takes over stdout."""
    prepare_process_start()


def status_text(app: DocpoolApp) -> str:
    return str(app.screen.query_one("#status", Static).content)


async def run_to_the_end(pilot) -> RunScreen:  # noqa: ANN001
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RunScreen)
    await wait_for(pilot, lambda: screen.finished is not None)
    return screen


async def new_batch(pilot) -> StartScreen:  # noqa: ANN001
    await pilot.press("n")
    await pilot.pause()
    start = pilot.app.screen
    assert isinstance(start, StartScreen)
    return start


@pytest.mark.parametrize("flag", ["overwrite", "resume"])
def test_the_command_line_choice_answers_for_the_first_batch_only(tmp_path, flag):
    """A second batch into the same output asks, rather than silently wiping the first."""
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, output=output, cpu_count=2, **{flag: True})
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            first = await run_to_the_end(pilot)
            assert first.finished.status == "completed"
            start = await new_batch(pilot)
            start.query_one("#start", Button).focus()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, JournalChoiceScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is start and app.batch is None

    asyncio.run(scenario())
    assert (output / "doc-000.pdf.txt").is_file()


def test_a_later_batch_on_another_folder_can_overwrite_a_resumed_run(tmp_path):
    """With --resume, a batch on another folder into the same output is asked
    about, and Overwrite starts it (it was refused with no way out)."""
    first_folder = make_folder(tmp_path / "first", good=1)
    second_folder = make_folder(tmp_path / "second", good=2)
    output = tmp_path / "out"

    async def scenario() -> None:
        app = DocpoolApp(first_folder, workers=1, output=output, cpu_count=2, resume=True)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await run_to_the_end(pilot)
            start = await new_batch(pilot)
            start.query_one("#folder", FolderInput).value = str(second_folder)
            await pilot.press("ctrl+r")
            await pilot.pause()
            dialog = app.screen
            assert isinstance(dialog, JournalChoiceScreen)
            # Resuming a run of another folder can only be refused: not offered.
            assert dialog.query_one("#resume", Button).disabled
            assert f"a run of {first_folder}, not of this folder" in str(
                dialog.query_one("#explanation", Static).content
            )
            await pilot.press("r")
            await pilot.pause()
            assert app.screen is dialog
            await pilot.press("o")
            second = await run_to_the_end(pilot)
            assert second.finished.status == "completed"

    asyncio.run(scenario())
    report = json.loads((output / "report.json").read_text())
    assert report["folder"] == str(second_folder)
    assert report["totals"]["succeeded"] == 2


def test_two_start_presses_at_once_start_one_batch(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            start = app.screen
            button = start.query_one("#start", Button)
            button.press()
            button.press()
            await pilot.pause()
            runs = [screen for screen in app.screen_stack if isinstance(screen, RunScreen)]
            assert len(runs) == 1
            await run_to_the_end(pilot)
            assert runs[0].finished.status == "completed"

    asyncio.run(scenario())
    assert json.loads((output / "report.json").read_text())["status"] == "completed"


def test_two_start_presses_ask_about_the_earlier_run_once(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"
    output.mkdir()
    (output / "docpool-journal.jsonl").write_text('{"docpool_journal": 1}\n')

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            button = app.screen.query_one("#start", Button)
            button.press()
            button.press()
            await pilot.pause()
            dialogs = [s for s in app.screen_stack if isinstance(s, JournalChoiceScreen)]
            assert len(dialogs) == 1

    asyncio.run(scenario())


def test_the_earlier_run_dialog_answers_to_letter_keys(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"
    output.mkdir()
    (output / "docpool-journal.jsonl").write_text('{"docpool_journal": 1}\n')
    answers = []

    async def scenario() -> None:
        app = DocpoolApp(folder, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            for key, expected in (("escape", None), ("r", "resume"), ("o", "overwrite")):
                app.push_screen(JournalChoiceScreen(str(output)), answers.append)
                await pilot.pause()
                dialog = app.screen
                labels = [str(button.label) for button in dialog.query(Button)]
                assert any("Esc" in label for label in labels)
                assert any("(r)" in label for label in labels)
                assert any("(o)" in label for label in labels)
                await pilot.press(key)
                await pilot.pause()
                assert answers[-1] == expected

    asyncio.run(scenario())


def test_an_output_folder_in_use_is_refused_without_the_earlier_run_dialog(tmp_path):
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"
    output.mkdir()
    running = Journal(output, {"folder": str(folder)}, append=False, clock=lambda: 0.0)

    async def scenario() -> None:
        app = DocpoolApp(folder, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert app.batch is None
            assert "in use" in status_text(app)
            assert "earlier" not in status_text(app)

    try:
        asyncio.run(scenario())
    finally:
        running.close()


@pytest.mark.parametrize(
    ("report", "problem"),
    [("summary.txt", "Report: a .json file"), ("blocker/sub/report.json", "Report: cannot create")],
)
def test_a_bad_report_path_is_refused_before_the_earlier_run_dialog(tmp_path, report, problem):
    """Overwrite must never remove the earlier run for a batch that is then refused."""
    folder = make_folder(tmp_path / "in", good=1)
    output = tmp_path / "out"
    output.mkdir()
    journal = output / "docpool-journal.jsonl"
    journal.write_text('{"docpool_journal": 1}\n')
    (tmp_path / "blocker").write_text("a file where a folder would go")

    async def scenario() -> None:
        app = DocpoolApp(folder, output=output, report=tmp_path / report, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert status_text(app).startswith(problem)
            assert "--report" not in status_text(app)

    asyncio.run(scenario())
    assert journal.exists()


def _crowded_output(tmp_path: Path, folder: Path) -> dict:
    output = tmp_path / "crowded"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    return {"output": output}


def _earlier_run_of_another_processor(tmp_path: Path, folder: Path) -> dict:
    output = tmp_path / "earlier"
    for _ in Batch(BatchConfig(folder, output, workers=1, processor="info")).run():
        pass
    return {"output": output, "processor": "text", "resume": True}


def _someone_else_s_report(tmp_path: Path, folder: Path) -> dict:
    report = tmp_path / "mine" / "report.json"
    report.parent.mkdir()
    report.write_text("{}")
    return {"output": tmp_path / "out", "report": report}


@pytest.mark.parametrize(
    ("setup", "problem", "control"),
    [
        (
            _earlier_run_of_another_processor,
            "holds a run with processor 'info', not 'text': ",
            "set Processor back to the earlier run's to resume it, or press Start again and choose Overwrite",
        ),
        (_someone_else_s_report, "exists and is not a docpool report: ", "choose another Report file"),
    ],
    ids=["another processor", "not a docpool report"],
)
def test_a_refused_batch_names_the_app_s_controls_not_flags(tmp_path, setup, problem, control):
    """The engine's refusals name command-line flags; the app has fields and a dialog instead."""
    folder = make_folder(tmp_path / "in", good=1)
    options = setup(tmp_path, folder)

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, cpu_count=2, **options)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen) and app.batch is None
            shown = [status_text(app), *(note.message for note in app._notifications)]
            assert len(shown) == 2
            for text in shown:
                assert problem + control in text, text
                assert "--" not in text, text

    asyncio.run(scenario())


def test_an_output_folder_holding_other_files_is_written_into_only_if_the_user_says_so(tmp_path):
    """The command line's --overwrite, asked as a question: No refuses with the
    way out in the app's words; Write into it runs and touches nothing else."""
    folder = make_folder(tmp_path / "in", good=1)
    output = _crowded_output(tmp_path, folder)["output"]

    async def scenario() -> None:
        app = DocpoolApp(folder, workers=1, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and app.batch is None
            assert str(output) in str(app.screen.query_one("#question", Static).content)
            await pilot.press("n")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen) and app.batch is None
            assert status_text(app) == (
                f"{output} already holds other files: choose an empty or new Output "
                "folder, or press Start again and choose Write into it"
            )
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            finished = (await run_to_the_end(pilot)).finished
            assert finished.status == "completed" and finished.snapshot.totals.succeeded == 1

    asyncio.run(scenario())
    assert (output / "notes.txt").read_text() == "mine"
    assert (output / "doc-000.pdf.txt").is_file()
    assert json.loads((output / "report.json").read_text())["totals"]["succeeded"] == 1
