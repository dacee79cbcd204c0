"""The start screen: choosing the folder, the workers and the options.

Tests are plain functions that `asyncio.run` a Pilot scenario (no async plugin needed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pdfs import make_broken, make_pdf
from pilot_waits import wait_for
from test_engine import _refusals
from textual import events
from textual.widgets import Button, Collapsible, Input, Static
from textual.widgets.collapsible import CollapsibleTitle

from tui.app import DocpoolApp
from tui.engine import Batch, SetupError
from tui.screens.journal_choice import JournalChoiceScreen
from tui.screens.start import StartScreen, report_problem, setup_problem
from tui.widgets.folder_input import FolderInput, clean_path, complete_folder, folder_problem
from tui.widgets.folder_tree import FolderTree
from tui.widgets.pdf_count import PdfCount
from tui.widgets.slider import Slider

SIZE = (120, 40)


def pdf_folder(root: Path) -> Path:
    folder = root / "pdfs"
    make_pdf(folder / "one.pdf")
    make_pdf(folder / "nested" / "two.pdf")
    make_broken(folder / "report [draft].pdf")
    (folder / "notes.txt").write_text("not a pdf")
    return folder


def problem_text(app: DocpoolApp) -> str:
    return str(app.screen.query_one("#folder-problem", Static).content)


def test_folder_completion_offers_folders_only(tmp_path):
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alps.pdf").write_bytes(b"%PDF")
    (tmp_path / ".alhidden").mkdir()
    assert complete_folder(f"{tmp_path}/al") == f"{tmp_path}/alpha/"
    assert complete_folder(f"{tmp_path}/alpha") is None
    assert complete_folder(f"{tmp_path}/.al") == f"{tmp_path}/.alhidden/"
    assert complete_folder(f"{tmp_path}/zzz") is None


def test_folder_problems_are_one_clear_line(tmp_path):
    (tmp_path / "file.pdf").write_bytes(b"%PDF")
    assert folder_problem(str(tmp_path)) is None
    assert folder_problem("") == "Type or choose a folder"
    assert folder_problem(str(tmp_path / "missing")) == f"No such folder: {tmp_path / 'missing'}"
    assert folder_problem(str(tmp_path / "file.pdf")) == f"Not a folder: {tmp_path / 'file.pdf'}"


def test_typing_a_folder_counts_its_pdfs(tmp_path):
    folder = pdf_folder(tmp_path)

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            folder_input = app.screen.query_one("#folder", FolderInput)
            assert app.focused is folder_input
            folder_input.value = f"{tmp_path}/"
            await pilot.press("p", "d")
            await wait_for(pilot, lambda: folder_input._suggestion == f"{folder}/", seconds=10.0)
            await pilot.press("tab")
            assert folder_input.value == f"{folder}/"
            assert app.focused is folder_input
            count = app.screen.query_one("#count", PdfCount)
            await wait_for(pilot, lambda: count.documents is not None, seconds=10.0)
            assert (count.documents, count.bytes) == (3, sum(
                path.stat().st_size for path in folder.rglob("*.pdf")
            ))
            assert str(count.content).startswith("3 PDFs, ")
            assert problem_text(app) == ""
            await pilot.press("enter")
            assert app.focused is app.screen.query_one("#start", Button)

    asyncio.run(scenario())


def test_a_path_that_is_not_a_folder_says_so_and_cannot_start(tmp_path):
    (tmp_path / "file.pdf").write_bytes(b"%PDF")

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            folder_input = app.screen.query_one("#folder", FolderInput)
            folder_input.value = str(tmp_path / "missing")
            await pilot.pause()
            assert problem_text(app) == f"No such folder: {tmp_path / 'missing'}"
            folder_input.value = str(tmp_path / "file.pdf")
            await pilot.pause()
            assert problem_text(app).startswith("Not a folder")
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            status = str(app.screen.query_one("#status", Static).content)
            assert status.startswith("Not a folder")

    asyncio.run(scenario())


def test_browsing_the_tree_chooses_a_folder(tmp_path, monkeypatch):
    folder = pdf_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            tree = app.screen.query_one("#tree", FolderTree)
            await wait_for(pilot, lambda: len(tree.root.children) == 2, seconds=10.0)
            assert [str(node.label) for node in tree.root.children] == ["empty", "pdfs"]
            await pilot.press("ctrl+o")
            assert app.focused is tree
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            assert app.screen.query_one("#folder", FolderInput).value == str(folder)
            count = app.screen.query_one("#count", PdfCount)
            await wait_for(pilot, lambda: count.documents == 3, seconds=10.0)
            request, problem = app.screen.request()
            assert problem == ""
            assert request.folder == folder

    asyncio.run(scenario())


def test_options_preset_the_screen_and_the_slider_moves_the_workers(tmp_path):
    folder = pdf_folder(tmp_path)

    async def scenario() -> None:
        app = DocpoolApp(
            folder, workers=3, output=tmp_path / "out", report=tmp_path / "r.json",
            timeout=7.5, processor="info", cpu_count=4,
        )
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.screen
            assert app.focused is screen.query_one("#start", Button)
            slider = screen.query_one("#workers", Slider)
            assert (slider.value, slider.minimum, slider.maximum) == (3, 1, 8)
            slider.focus()
            await pilot.press("right", "right")
            request, _ = screen.request()
            assert request.workers == 5
            await pilot.press("end")
            assert screen.request()[0].workers == 8
            await pilot.press("home")
            assert screen.request()[0].workers == 1
            await pilot.click("#workers", offset=(slider.gutter.left + slider._track_width() - 1, 1))
            assert screen.request()[0].workers == 8
            request, _ = screen.request()
            assert request.output == tmp_path / "out"
            assert request.report == tmp_path / "r.json"
            assert request.timeout == 7.5
            assert request.processor == "info"

    asyncio.run(scenario())


def test_a_bad_processor_is_refused_before_starting(tmp_path):
    folder = pdf_folder(tmp_path)

    async def scenario() -> None:
        app = DocpoolApp(folder, output=tmp_path / "out", cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            processor = app.screen.query_one("#processor", Input)
            processor.value = "nonsense"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert "module:function" in str(app.screen.query_one("#status", Static).content)
            processor.value = "no_such_module_here:run"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert "no_such_module_here" in str(app.screen.query_one("#status", Static).content)

    asyncio.run(scenario())


def test_an_earlier_run_in_the_output_asks_resume_or_overwrite(tmp_path):
    folder = pdf_folder(tmp_path)
    output = tmp_path / "out"
    output.mkdir()
    (output / "docpool-journal.jsonl").write_text('{"docpool_journal": 1}\n')

    async def scenario() -> None:
        app = DocpoolApp(folder, output=output, cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, JournalChoiceScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, StartScreen)
            assert app.batch is None

    asyncio.run(scenario())


def test_report_problems_are_said_in_the_app_s_words(tmp_path):
    (tmp_path / "a-file").write_text("")
    assert report_problem("") is None
    assert report_problem(str(tmp_path / "new" / "deeper" / "r.json")) is None
    assert report_problem(str(tmp_path / "r.JSON")) is None
    for wrong in ("r.txt", "r", ".json", f"{tmp_path}/"):
        assert report_problem(wrong).startswith("Report: a .json file"), wrong
    assert report_problem(str(tmp_path / "a-file" / "r.json")) == (
        f"Report: cannot create {tmp_path / 'a-file'}: {tmp_path / 'a-file'} is not a folder"
    )


def test_tab_completes_only_what_is_certain(tmp_path):
    data = tmp_path / "data"
    for name in ("empty", "pdfs", "2019", "2020"):
        (data / name).mkdir(parents=True)
    assert complete_folder(f"{data}/") is None
    assert complete_folder(f"{data}/p") == f"{data}/pdfs/"
    assert complete_folder(f"{data}/2") == f"{data}/20"
    assert complete_folder(f"{data}/20") is None

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            folder_input = app.screen.query_one("#folder", FolderInput)
            folder_input.value = f"{data}/"
            await pilot.pause(0.5)  # time for a suggestion, were there one
            await pilot.press("tab")
            assert folder_input.value == f"{data}/"
            assert app.focused is not folder_input
            folder_input.focus()
            folder_input.value = f"{data}/e"
            await wait_for(pilot, lambda: folder_input._suggestion == f"{data}/empty/", seconds=10.0)
            await pilot.press("tab")
            assert folder_input.value == f"{data}/empty/"
            assert app.focused is folder_input

    asyncio.run(scenario())


def test_a_pasted_path_loses_its_quotes_and_file_url(tmp_path):
    folder = tmp_path / "my pdfs"
    make_pdf(folder / "one.pdf")
    assert clean_path(f"  '{folder}' ") == str(folder)
    assert clean_path(f'"{folder}"') == str(folder)
    assert clean_path(f"file://{str(folder).replace(' ', '%20')}") == str(folder)
    assert clean_path(f"file://localhost{folder}") == str(folder)
    assert clean_path("'") == "'"

    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            folder_input = app.screen.query_one("#folder", FolderInput)
            for pasted in (f"'{folder}'", f'"{folder}"\n', f"file://{str(folder).replace(' ', '%20')}"):
                folder_input.value = ""
                folder_input.post_message(events.Paste(pasted))
                await pilot.pause()
                assert folder_input.value == str(folder)
                assert problem_text(app) == ""
            folder_input.value = f"'{folder}'"  # typed, quotes and all
            await pilot.pause()
            assert problem_text(app) == ""
            request, problem = app.screen.request()
            assert problem == "" and request.folder == folder

    asyncio.run(scenario())


def test_a_key_opens_more_options_from_anywhere_on_the_form():
    async def scenario() -> None:
        app = DocpoolApp(cpu_count=2)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            more = screen.query_one("#more", Collapsible)
            assert app.focused is screen.query_one("#folder", FolderInput)
            assert any(
                binding.binding.description == "More options" and binding.binding.show
                for binding in screen.active_bindings.values()
            )
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert not more.collapsed
            assert app.focused is screen.query_one("#memory-limit", Input)
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert more.collapsed
            assert isinstance(app.focused, CollapsibleTitle)

    asyncio.run(scenario())


def test_no_setup_refusal_names_a_flag_in_the_app(tmp_path):
    """Every refusal the engine words with flags, the app says without them."""
    for config, words in _refusals(tmp_path):
        with pytest.raises(SetupError) as refused:
            Batch(config)
        assert "--" in words
        shown = setup_problem(refused.value)
        assert "--" not in shown, shown
