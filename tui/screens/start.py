"""Choose the folder, the workers, the output and the processor, then start.

The rarer batch options (memory cap, retries, symlinks) wait under "More options".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.timer import Timer
from textual.widgets import (
    Button,
    Checkbox,
    Collapsible,
    DirectoryTree,
    Footer,
    Header,
    Input,
    Label,
    Static,
)
from textual.widgets.collapsible import CollapsibleTitle

from tui.cli import megabytes
from tui.widgets.folder_input import FolderInput, expand, folder_problem
from tui.widgets.folder_tree import FolderTree
from tui.widgets.pdf_count import PdfCount
from tui.widgets.slider import Slider

if TYPE_CHECKING:
    from tui.engine import Remedy, SetupError

COUNT_DELAY = 0.4
"""Seconds of no typing before a typed folder is counted (so `/` is not walked on the way to `/data`)."""

BUILTIN_PROCESSORS = ("text", "info")
MIB = 1024 * 1024
DEFAULT_RETRIES = 1


@dataclass(frozen=True)
class StartOptions:
    """What the start screen shows first: the command line's choices or the defaults."""

    folder: Path | None = None
    workers: int = os.cpu_count() or 1
    max_workers: int = 2 * (os.cpu_count() or 1)
    output: Path = Path("docpool-out")
    report: Path | None = None
    timeout: float = 120.0
    processor: str = "text"
    memory_limit: int | None = None
    """Bytes per worker, as `BatchConfig` takes it; None: automatic, 0: no cap."""
    retries: int = DEFAULT_RETRIES
    follow_symlinks: bool = False

    @property
    def more_options_changed(self) -> bool:
        """The command line set something under "More options", so it opens expanded."""
        return (
            self.memory_limit is not None
            or self.retries != DEFAULT_RETRIES
            or self.follow_symlinks
        )


@dataclass(frozen=True)
class StartRequest:
    """A batch the user asked for, checked as far as the screen can check it."""

    folder: Path
    workers: int
    output: Path
    report: Path | None
    timeout: float
    processor: str
    memory_limit: int | None = None
    """Bytes per worker, as `BatchConfig` takes it; None: automatic, 0: no cap."""
    retries: int = DEFAULT_RETRIES
    follow_symlinks: bool = False


def processor_problem(text: str) -> str | None:
    spec = text.strip()
    if spec in BUILTIN_PROCESSORS:
        return None
    module, sep, function = spec.partition(":")
    if sep and module and function:
        return None
    return "Processor: text, info, or module:function"


def timeout_problem(text: str) -> str | None:
    try:
        seconds = float(text)
    except ValueError:
        return "Timeout: a number of seconds"
    return None if seconds > 0 else "Timeout: more than 0 seconds"


def memory_limit_problem(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        mebibytes = int(text)
    except ValueError:
        return "Memory limit: a whole number of MiB (empty: automatic, 0: no cap)"
    if mebibytes < 0:
        return "Memory limit: 0 or more MiB (0: no cap)"
    from tui.engine import LARGEST_MEMORY_LIMIT, SMALLEST_MEMORY_LIMIT  # the engine's bounds

    if 0 < megabytes(mebibytes) < SMALLEST_MEMORY_LIMIT:
        return f"Memory limit: at least {SMALLEST_MEMORY_LIMIT // 1024**2} MiB (0: no cap)"
    if megabytes(mebibytes) > LARGEST_MEMORY_LIMIT:
        return f"Memory limit: at most {LARGEST_MEMORY_LIMIT // 1024**2} MiB (0: no cap)"
    return None


def retries_problem(text: str) -> str | None:
    try:
        retries = int(text)
    except ValueError:
        return "Retries: a whole number (0: never retry)"
    return None if retries >= 0 else "Retries: 0 or more"


def report_problem(text: str) -> str | None:
    """Why the report cannot go to `text` (empty: the default), checked before
    anything is asked or removed: the engine would refuse it only after an
    Overwrite had cleared the earlier run."""
    if not text.strip():
        return None
    report = expand(text)
    if report.suffix.lower() != ".json" or not report.stem:
        return "Report: a .json file, e.g. report.json (empty: in the output folder)"
    wanted = report.absolute().parent
    folder = wanted
    while not _exists(folder):
        folder = folder.parent
    if not _is_dir(folder):
        return f"Report: cannot create {wanted}: {folder} is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        if folder == wanted:
            return f"Report: cannot write in {folder}"
        return f"Report: cannot create {wanted}: {folder} is not writable"
    return None


SETUP_REMEDIES: dict[Remedy, str] = {
    "resume_or_overwrite": "press Start again to choose Resume or Overwrite",
    "same_processor": (
        "set Processor back to the earlier run's to resume it, "
        "or press Start again and choose Overwrite"
    ),
    "another_report": "choose another Report file, or leave Report empty for one in the output folder",
    "empty_output": (
        "choose an empty or new Output folder, "
        "or press Start again and choose Write into it"
    ),
}
"""The fixes that the engine's refusals name with command-line flags, in this
screen's words. A refusal with none here says only what is wrong."""


def setup_problem(error: SetupError) -> str:
    """Why the engine refused the batch, with the fix said in the app's
    controls: its own message names flags, which the app does not have."""
    remedy = SETUP_REMEDIES.get(error.remedy) if error.remedy is not None else None
    return f"{error.problem}: {remedy}" if remedy else error.problem


def memory_limit_text(limit: int | None) -> str:
    """Bytes as the field's MiB, rounded up so that a small cap never reads as 0 (no cap)."""
    return "" if limit is None else str(-(-limit // MIB))


class Form(VerticalScroll, can_focus=False):
    """The fields, scrolled to whichever has focus on a small terminal; never
    a Tab stop itself."""

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # At once, not animated: the field is in view as soon as it has focus,
        # whatever the screen's own animated scroll to it is still doing.
        self.scroll_to_widget(event.widget, animate=False)


class StartScreen(Screen[None]):
    """The first screen: everything a batch needs, with Start focused once a folder is given."""

    DEFAULT_CSS = """
    StartScreen {
        & #form { padding: 0 1; }
        & .row { height: auto; }
        & .row > Label {
            width: 14;
            padding: 1 1 0 0;
            text-align: right;
            color: $text-muted;
        }
        & #folder-status { height: 1; margin-left: 14; }
        & #folder-problem { color: $error; width: auto; }
        & FolderTree { margin-left: 14; }
        & #output, #report { width: 2fr; }
        & #processor, #timeout { width: 1fr; }
        & #more {
            background: transparent;
            border-top: none;
            padding: 0;
            &:focus-within { background-tint: transparent; }
            & > Contents { padding: 0; }
            & CollapsibleTitle { margin-left: 13; }
        }
        & #memory-limit { width: 2fr; }
        & #retries { width: 1fr; }
        & #follow-symlinks { margin-left: 14; }
        & #actions { height: auto; margin-left: 14; }
        & #start { margin-right: 2; }
        & #status { padding-top: 1; color: $error; width: 1fr; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "start", "Start", id="start.start", priority=True),
        Binding("ctrl+o", "focus_tree", "Browse", id="start.browse"),
        Binding("ctrl+l", "focus_folder", "Type folder", id="start.type"),
        # Not ctrl+e: an Input's "end of line".
        Binding("ctrl+t", "more_options", "More options", id="start.more"),
    ]

    def __init__(self, options: StartOptions) -> None:
        super().__init__()
        self.options = options
        self._count_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        options = self.options
        folder = str(options.folder) if options.folder is not None else ""
        tree_root = options.folder.parent if options.folder is not None else Path(".")
        if not _is_dir(tree_root):
            tree_root = Path(".")
        yield Header()
        with Form(id="form"):
            with Horizontal(classes="row"):
                yield Label("Folder")
                yield FolderInput(folder, id="folder")
            with Horizontal(id="folder-status"):
                yield Static("", id="folder-problem")
                yield PdfCount(id="count")
            yield FolderTree(tree_root, id="tree")
            with Horizontal(classes="row"):
                yield Label("Workers")
                yield Slider(
                    options.workers,
                    minimum=1,
                    maximum=max(options.max_workers, options.workers),
                    id="workers",
                    tooltip="Worker processes: arrows, Home/End or the mouse",
                )
            with Horizontal(classes="row"):
                yield Label("Output")
                yield Input(str(options.output), placeholder="docpool-out", id="output")
                yield Label("Processor")
                yield Input(
                    options.processor,
                    placeholder="text, info or module:function",
                    suggester=SuggestFromList(BUILTIN_PROCESSORS),
                    id="processor",
                )
            with Horizontal(classes="row"):
                yield Label("Report")
                yield Input(
                    str(options.report) if options.report is not None else "",
                    placeholder="(output)/report.json",
                    id="report",
                )
                yield Label("Timeout (s)")
                yield Input(f"{options.timeout:g}", type="number", id="timeout")
            with Collapsible(
                title="More options", collapsed=not options.more_options_changed, id="more"
            ):
                with Horizontal(classes="row"):
                    yield Label("Memory (MiB)")
                    yield Input(
                        memory_limit_text(options.memory_limit),
                        placeholder="automatic; 0: no cap",
                        type="integer",
                        valid_empty=True,
                        id="memory-limit",
                        tooltip="Memory cap per worker; a document that needs more fails",
                    )
                    yield Label("Retries")
                    yield Input(
                        str(options.retries),
                        type="integer",
                        id="retries",
                        tooltip="Retries after a timeout, a crashed worker or the memory cap",
                    )
                yield Checkbox(
                    "Follow symbolic links", options.follow_symlinks, id="follow-symlinks"
                )
            with Horizontal(id="actions"):
                yield Button("Start", id="start", variant="primary")
                yield Static("", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Choose a folder of PDFs"
        if self.options.folder is not None and folder_problem(str(self.options.folder)) is None:
            self._folder_changed(str(self.options.folder), at_once=True)
            self.query_one("#start", Button).focus()
        else:
            self.query_one("#folder", FolderInput).focus()

    # The folder.

    @on(Input.Changed, "#folder")
    def _folder_typed(self, event: Input.Changed) -> None:
        self._folder_changed(event.value, at_once=False)

    @on(Input.Submitted, "#folder")
    def _folder_submitted(self, event: Input.Submitted) -> None:
        if folder_problem(event.value) is None:
            self.query_one("#tree", FolderTree).path = expand(event.value)
            self.query_one("#start", Button).focus()

    @on(DirectoryTree.DirectorySelected, "#tree")
    def _folder_browsed(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        folder_input = self.query_one("#folder", FolderInput)
        with folder_input.prevent(Input.Changed):
            folder_input.value = str(event.path)
        self._folder_changed(str(event.path), at_once=True)

    def _folder_changed(self, text: str, at_once: bool) -> None:
        problem = folder_problem(text)
        self.query_one("#folder-problem", Static).update(Text(problem or ""))
        self.query_one("#status", Static).update("")
        count = self.query_one("#count", PdfCount)
        if self._count_timer is not None:
            self._count_timer.stop()
            self._count_timer = None
        if problem is not None:
            count.count(None)
            return
        folder = expand(text)
        if at_once:
            count.count(folder)
        else:
            count.count(None)
            self._count_timer = self.set_timer(COUNT_DELAY, lambda: count.count(folder))

    # Starting.

    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    def action_focus_tree(self) -> None:
        self.query_one("#tree", FolderTree).focus()

    def action_focus_folder(self) -> None:
        self.query_one("#folder", FolderInput).focus()

    def action_more_options(self) -> None:
        """Open "More options" at its first field; close it if it is open."""
        more = self.query_one("#more", Collapsible)
        if more.collapsed:
            more.collapsed = False
            self.call_after_refresh(self.query_one("#memory-limit", Input).focus)
            return
        focused = self.focused
        more.collapsed = True
        if focused is not None and more in focused.ancestors:
            self.query_one(CollapsibleTitle).focus()

    def action_start(self) -> None:
        request, problem = self.request()
        if request is None:
            if problem == self._more_options_problem():
                self.query_one("#more", Collapsible).collapsed = False
            self.show_problem(problem)
            return
        self.app.start_batch(request)  # type: ignore[attr-defined]

    def request(self) -> tuple[StartRequest | None, str]:
        """The batch the form describes, or None and the first problem with it."""
        folder = self.query_one("#folder", FolderInput).value
        processor = self.query_one("#processor", Input).value
        timeout = self.query_one("#timeout", Input).value
        problem = (
            folder_problem(folder)
            or processor_problem(processor)
            or timeout_problem(timeout)
            or report_problem(self.query_one("#report", Input).value)
            or self._more_options_problem()
        )
        if problem is not None:
            return None, problem
        output = self.query_one("#output", Input).value.strip() or "docpool-out"
        report = self.query_one("#report", Input).value.strip()
        memory_limit = self.query_one("#memory-limit", Input).value.strip()
        return (
            StartRequest(
                folder=expand(folder),
                workers=self.query_one("#workers", Slider).value,
                output=expand(output),
                report=expand(report) if report else None,
                timeout=float(timeout),
                processor=processor.strip(),
                memory_limit=megabytes(int(memory_limit)) if memory_limit else None,
                retries=int(self.query_one("#retries", Input).value),
                follow_symlinks=self.query_one("#follow-symlinks", Checkbox).value,
            ),
            "",
        )

    def _more_options_problem(self) -> str | None:
        return memory_limit_problem(
            self.query_one("#memory-limit", Input).value
        ) or retries_problem(self.query_one("#retries", Input).value)

    def show_problem(self, problem: str) -> None:
        """Say why the batch cannot start, beside the Start button."""
        self.query_one("#status", Static).update(Text(problem))
        self.notify(problem, title="Cannot start", severity="error", markup=False)


def _exists(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return True  # let the folder checks below say what is wrong with it


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
