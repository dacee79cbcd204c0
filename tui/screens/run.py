"""Watch a batch run, steer it, and read its summary when it ends."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Label, Static
from textual.worker import get_current_worker

from tui.events import BatchFinished, BatchStarted, DocumentFinished, DocumentRecord, Progress, ProgressSnapshot
from tui.messages import DocumentsFailed, RunCrashed, RunFinished, RunProgress, RunStarted
from tui.screens.confirm import ConfirmScreen
from tui.screens.error_detail import ErrorDetailScreen
from tui.widgets.batch_progress import BatchProgress
from tui.widgets.error_table import ErrorTable
from tui.widgets.in_flight import InFlightTable
from tui.widgets.slider import Slider
from tui.widgets.summary import BatchSummary
from tui.widgets.throughput import Throughput

if TYPE_CHECKING:
    from tui.engine import Batch

REFRESH_SECONDS = 0.25
"""How often widgets show the latest state: often enough to feel live, rarely
enough that ten thousand documents a second cost the screen nothing. A frame
costs the UI thread 20-30 ms, and on a small machine that CPU is a worker's:
four a second is a twelfth of a core, and keys still answer at once."""

ROWS_PER_REFRESH = 160
"""Failures added to the error table per refresh (640 a second): a flood of
failures fills it over a few refreshes instead of freezing the screen in one."""

FAILURES_SECONDS = 0.1
"""The batch thread sends failures at most this often, in one message."""

YIELD_EVERY = 50
"""Events between two offers of the GIL to the UI thread."""

FIRST_PAINT_WAIT_SECONDS = 1.0
"""The batch thread waits for the screen's first paint, at most this long.
Painting the run screen makes the UI thread late by 40-64 ms, and so do
worker processes starting on the same cores; together they made one wake-up
105 ms late (BENCHMARKS.md, the noop run's late wake-ups). Kept apart, the
batch starts some 50 ms later. The wait is bounded, and ends at once if the
screen goes first, so the thread always runs the batch: its report is
written and `run_app` is not left waiting for it."""


class RunCommands(Provider):
    """Pause, resume, cancel and workers in the command palette, while a batch runs."""

    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        if not isinstance(screen, RunScreen):
            return []
        commands = []
        for action, name, help_text in (
            ("toggle_pause", "Pause or resume the batch", "Stop starting documents, or start again"),
            ("cancel_batch", "Cancel the batch", "Stop now; the report says cancelled"),
            ("new_batch", "New batch", "Back to the start screen"),
        ):
            if screen.check_action(action, ()):
                commands.append((action, name, help_text))
        return commands

    async def discover(self) -> Hits:
        for action, name, help_text in self._commands():
            yield DiscoveryHit(name, self._runner(action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, name, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), self._runner(action), help=help_text)

    def _runner(self, action: str):  # type: ignore[no-untyped-def]
        return lambda: self.screen.run_action(action)


class Done(VerticalScroll, can_focus=False):
    """The summary and its buttons; scrolled to the focused button on a short
    terminal, never a Tab stop itself."""

    DEFAULT_CSS = """
    Done {
        height: auto;
        overflow-x: hidden;
        /* A scrollbar that came and went would rewrap the summary under the focused button. */
        scrollbar-gutter: stable;
        /* Else Textual adds a row for a horizontal scrollbar to the auto height. */
        scrollbar-size-horizontal: 0;
    }
    """


class RunScreen(Screen[None]):
    """The live view of one batch, then its summary.

    The batch runs in a thread worker that posts coalesced messages here; the
    handlers only store what arrived, and a timer shows it a few times a second.
    """

    DEFAULT_CSS = """
    RunScreen {
        & #live { height: auto; }
        & .panel {
            height: auto;
            border: round $border-blurred;
            border-title-color: $text-muted;
            padding: 0 1;
        }
        & #workers-row { height: auto; }
        & #workers-row > Label { padding: 1 1 0 0; color: $text-muted; }
        & #errors-panel { height: 1fr; min-height: 7; }
        & #done { display: none; }
        & #done Horizontal { height: auto; padding: 0 2; }
        & #done Button { margin-right: 2; }
        &.-finished #live { display: none; }
        &.-finished #done { display: block; }
        & #paused { display: none; color: $warning; text-style: bold; }

        &.-short, &.-medium {
            & #workers-row > Label { padding: 0 1 0 0; }
            & #workers { height: 1; border: none; }
            & #done Button { border: none !important; }
            & #errors-panel { min-height: 5; }
        }
        &.-medium {
            & #in-flight { max-height: 6; }
            & #done { max-height: 17; }
        }
        &.-short {
            & #throughput Sparkline { display: none; }
            & #in-flight { max-height: 4; }
            & #summary { padding: 0 1; }
            & #done { max-height: 13; }
        }
    }
    """

    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-short"),
        (24, "-medium"),
        (30, "-tall"),
    ]
    """Below 30 rows the slider and buttons lose their borders, the in-flight
    list shortens and a long summary scrolls (below 24 the sparkline goes too,
    for the figures that wrap at 60 columns), so the error table keeps a few
    rows down to 60x20 (ssh from a small terminal) without the screen scrolling."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p,f6", "toggle_pause", "Pause/Resume", id="run.pause"),
        Binding("c,f8", "cancel_batch", "Cancel", id="run.cancel"),
        Binding("n", "new_batch", "New batch", id="run.new"),
        Binding("ctrl+w", "focus_workers", "Workers", id="run.workers", show=False),
    ]

    COMMANDS = Screen.COMMANDS | {RunCommands}

    def __init__(
        self,
        batch: Batch | None,
        *,
        folder: str,
        workers: int,
        max_workers: int,
    ) -> None:
        """`batch` None shows the screen without running anything (for previews and tests)."""
        super().__init__()
        self.batch = batch
        self.folder = folder
        self.initial_workers = workers
        self.max_workers = max(max_workers, workers)
        self.snapshot: ProgressSnapshot | None = None
        """The latest progress, kept here by the handler and shown by the timer."""
        self._shown: ProgressSnapshot | None = None
        self._pending_failures: list[DocumentRecord] = []
        self.failures: int = 0
        self.finished: BatchFinished | None = None
        self.crashed: str = ""
        self._painted = threading.Event()
        """Set once the screen has first been painted, or has gone (see
        FIRST_PAINT_WAIT_SECONDS)."""

    @property
    def running(self) -> bool:
        return self.batch is not None and self.finished is None and not self.crashed

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="live"):
            with Vertical(classes="panel", id="progress-panel") as panel:
                panel.border_title = "Progress"
                yield Static(Text("Paused: no new document starts"), id="paused")
                yield BatchProgress(id="progress")
                yield Throughput(id="throughput")
            with Horizontal(id="workers-row"):
                yield Label("Workers")
                yield Slider(
                    self.initial_workers,
                    minimum=1,
                    maximum=self.max_workers,
                    id="workers",
                    tooltip="Worker processes: arrows, Home/End or the mouse",
                )
            yield InFlightTable(id="in-flight")
        with Done(id="done"):
            yield BatchSummary(id="summary")
            with Horizontal():
                yield Button("New batch", id="new", variant="primary")
                yield Button("Quit", id="quit")
        with Vertical(classes="panel", id="errors-panel") as panel:
            panel.border_title = "Errors"
            yield ErrorTable(id="errors")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.folder
        self.set_interval(REFRESH_SECONDS, self.refresh_view)
        # Not the slider: Down or PageDown meant for the errors would lower the workers.
        self.query_one("#errors", ErrorTable).focus()
        if self.batch is not None:
            self.call_after_refresh(self._first_painted)
            self._run(self.batch, self.app)

    def _first_painted(self) -> None:
        self._painted.set()

    def on_unmount(self) -> None:
        if self.batch is not None:
            self.batch.interrupt()  # a no-op once the batch has ended
            self._painted.set()

    # The batch thread.

    @work(thread=True, exit_on_error=False, group="batch")
    def _run(self, batch: Batch, app: App[int]) -> None:
        """Iterate the engine and post what the screen needs, coalesced.

        `app` comes from the main thread: once the app has exited (a hang-up),
        `self.app` raises here, and `run_app` would wait a minute for a batch
        that never said it had ended."""
        worker = get_current_worker()
        failures: list[DocumentRecord] = []
        self._painted.wait(FIRST_PAINT_WAIT_SECONDS)
        next_failures = time.monotonic() + FAILURES_SECONDS
        try:
            for count, event in enumerate(batch.run()):
                if worker.is_cancelled:
                    batch.interrupt()
                if count % YIELD_EVERY == 0:
                    time.sleep(0)  # let the UI thread have the GIL when events pour in
                if isinstance(event, DocumentFinished):
                    if event.record.status == "failed":
                        failures.append(event.record)
                        if time.monotonic() >= next_failures:
                            self.post_message(DocumentsFailed(tuple(failures)))
                            failures = []
                            next_failures = time.monotonic() + FAILURES_SECONDS
                elif isinstance(event, Progress):
                    if failures:
                        self.post_message(DocumentsFailed(tuple(failures)))
                        failures = []
                    self.post_message(RunProgress(event.snapshot))
                elif isinstance(event, BatchStarted):
                    self.post_message(RunStarted(event))
                elif isinstance(event, BatchFinished):
                    if failures:
                        self.post_message(DocumentsFailed(tuple(failures)))
                        failures = []
                    self.post_message(RunFinished(event))
        except Exception as error:  # noqa: BLE001 - the user must see it, not a traceback
            self.post_message(RunCrashed(f"{type(error).__name__}: {error}"))
        finally:
            app.batch_ended()  # type: ignore[attr-defined]

    # Messages from the batch thread: store only.

    def on_run_started(self, message: RunStarted) -> None:
        self.notify(f"Started, up to {message.event.workers} workers", markup=False, timeout=2)

    def on_run_progress(self, message: RunProgress) -> None:
        self.snapshot = message.snapshot

    def on_documents_failed(self, message: DocumentsFailed) -> None:
        self._pending_failures.extend(message.records)
        self.failures += len(message.records)

    def on_run_finished(self, message: RunFinished) -> None:
        self.finished = message.event
        self.snapshot = message.event.snapshot
        self.refresh_view()
        self.show_summary(message.event)
        self.app.batch_finished(message.event)  # type: ignore[attr-defined]

    def on_run_crashed(self, message: RunCrashed) -> None:
        self.crashed = message.error
        self.notify(message.error, title="The batch stopped", severity="error", markup=False, timeout=30)
        self.refresh_bindings()
        self.app.batch_finished(None)  # type: ignore[attr-defined]

    # Showing.

    def refresh_view(self) -> None:
        """Show the latest snapshot and any new failures (called by the timer)."""
        if self._pending_failures:
            batch = self._pending_failures[:ROWS_PER_REFRESH]
            del self._pending_failures[:ROWS_PER_REFRESH]
            self.query_one("#errors", ErrorTable).add_records(batch)
            self.query_one("#errors-panel").border_title = f"Errors ({self.failures:,})"
        snapshot = self.snapshot
        if snapshot is None or snapshot is self._shown:
            return
        self._shown = snapshot
        self.query_one("#progress", BatchProgress).show(snapshot)
        self.query_one("#throughput", Throughput).show(snapshot)
        self.query_one("#in-flight", InFlightTable).show(snapshot)
        self._show_paused(snapshot.paused)

    def show_summary(self, event: BatchFinished) -> None:
        """Replace the live view with what the batch did and where the report is."""
        self.finished = event
        self.query_one("#summary", BatchSummary).show(event)
        self.add_class("-finished")
        self._show_paused(False)
        self.sub_title = f"{self.folder}: {event.status}"
        new = self.query_one("#new", Button)
        new.focus()
        self.call_after_refresh(new.scroll_visible, animate=False)  # once a long summary has its height
        self.refresh_bindings()

    def add_failures(self, records: Iterable[DocumentRecord]) -> None:
        """Queue failures for the next refresh, as the batch thread does."""
        self.on_documents_failed(DocumentsFailed(tuple(records)))

    # Steering.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("toggle_pause", "cancel_batch", "focus_workers"):
            return self.running
        if action == "new_batch":
            return not self.running
        return True

    @on(Slider.Changed, "#workers")
    def _workers_changed(self, event: Slider.Changed) -> None:
        if self.running and self.batch is not None:
            self.batch.set_workers(event.value)

    def action_toggle_pause(self) -> None:
        if self.batch is None:
            return
        if self.batch.paused:
            self.batch.resume()
        else:
            self.batch.pause()
        self._show_paused(self.batch.paused)

    def _show_paused(self, paused: bool) -> None:
        """Show or hide the one label: a class on the whole screen would
        restyle every widget on it (~15 ms a key press under load)."""
        label = self.query_one("#paused")
        if label.display != paused:
            label.display = paused

    def action_cancel_batch(self) -> None:
        """Ask first: one stray key would otherwise end hours of work."""
        if not self.running or isinstance(self.app.screen, ConfirmScreen):
            return

        def answered(yes: bool | None) -> None:
            if yes and self.batch is not None and self.running:
                self.batch.cancel()
                self.notify("Cancelling: the report will say cancelled", timeout=3)

        self.app.push_screen(
            ConfirmScreen(
                "Cancel the batch?\n\nRunning documents are stopped and no new one "
                "starts; the report is written with status cancelled.",
                yes="Cancel the batch",
                no="Keep running",
            ),
            answered,
        )

    def action_focus_workers(self) -> None:
        self.query_one("#workers", Slider).focus()

    def action_new_batch(self) -> None:
        if not self.running:
            self.dismiss()

    @on(Button.Pressed, "#new")
    def _new_pressed(self) -> None:
        self.action_new_batch()

    @on(Button.Pressed, "#quit")
    def _quit_pressed(self) -> None:
        self.app.exit()

    @on(DataTable.RowSelected, "#errors")
    def _error_selected(self, event: DataTable.RowSelected) -> None:
        table = self.query_one("#errors", ErrorTable)
        self.app.push_screen(ErrorDetailScreen(table.record_at(str(event.row_key.value))))

