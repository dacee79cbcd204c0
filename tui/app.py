"""The Textual face of docpool: pick a folder, watch the batch, keep the report.

The app only turns engine events into pixels. What it must guarantee is that a
batch's generator always ends, so the engine writes its report: on completion,
on cancel, when the user quits, and when the terminal goes away (SIGHUP) or
the process is told to stop (SIGTERM).
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui import stop_signals
from tui.events import BatchFinished
from tui.screens.confirm import ConfirmScreen
from tui.screens.journal_choice import JournalChoice, JournalChoiceScreen
from tui.screens.run import RunScreen
from tui.screens.start import StartOptions, StartRequest, StartScreen, setup_problem

if TYPE_CHECKING:
    from tui.engine import Batch

SIGNAL_EXIT_CODE = 130
QUIT_GRACE_SECONDS = 20.0
"""After a confirmed quit, leave even if the batch has not ended by then."""
BATCH_END_WAIT_SECONDS = 60.0
"""How long `run_app` waits, after the app has gone, for the batch to write its report."""


class DocpoolApp(App[int]):
    """docpool's app. Options preset the start screen; `clock` feeds the engine."""

    TITLE = "docpool"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        folder: Path | None = None,
        *,
        workers: int | None = None,
        output: Path | None = None,
        report: Path | None = None,
        timeout: float | None = None,
        processor: str | None = None,
        memory_limit: int | None = None,
        retries: int = 1,
        resume: bool = False,
        overwrite: bool = False,
        follow_symlinks: bool = False,
        clock: Callable[[], float] = time.monotonic,
        cpu_count: int | None = None,
        keymap: dict[str, str] | None = None,
    ) -> None:
        """The options are the command line's and preset the start screen (`memory_limit`
        in bytes); resume/overwrite, which it does not show, answer the earlier-run
        question for the first Start only: every later batch asks."""
        super().__init__()
        cpus = cpu_count or os.cpu_count() or 1
        self.options = StartOptions(
            folder=folder,
            workers=workers or cpus,
            max_workers=max(2 * cpus, workers or 1),
            output=output or Path("docpool-out"),
            report=report,
            timeout=timeout or 120.0,
            processor=processor or "text",
            memory_limit=memory_limit,
            retries=retries,
            follow_symlinks=follow_symlinks,
        )
        self.journal_choice: JournalChoice | None = (
            "resume" if resume else "overwrite" if overwrite else None
        )
        """What to do with an earlier run's journal, if the command line said; spent
        by the first Start that reaches the engine, so a second batch in the same
        session never wipes the first's output unasked."""
        self.clock = clock
        self.batch: Batch | None = None
        """The batch running now, if any."""
        self.batch_done = threading.Event()
        """Set while no batch thread is running; `run_app` waits on it before returning."""
        self.batch_done.set()
        self.ended_by_signal = False
        self.hung_up = False
        """The terminal went away (SIGHUP): nothing more can be written to it."""
        self._quitting = False
        self._event_loop: asyncio.AbstractEventLoop | None = None
        if keymap:
            self.set_keymap(keymap)

    def get_default_screen(self) -> Screen:
        return StartScreen(self.options)

    def on_mount(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        if self.ended_by_signal:
            self.exit(SIGNAL_EXIT_CODE, return_code=SIGNAL_EXIT_CODE)

    def on_unmount(self) -> None:
        """However the app ends, the batch must end too, or its thread keeps the process alive."""
        if self.batch is not None:
            self.batch.interrupt()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, StartScreen):
            yield SystemCommand("Start", "Start the batch", screen.action_start)

    # Starting a batch.

    def start_batch(self, request: StartRequest, choice: JournalChoice | None = None) -> None:
        """Create the batch and show it running, asking first about an earlier run's journal."""
        from tui.engine import Batch, BatchConfig, SetupError
        from tui.journal import journal_exists, journal_in_use

        if self.batch is not None or any(
            isinstance(screen, (JournalChoiceScreen, ConfirmScreen)) for screen in self.screen_stack
        ):
            return  # a second Start, handled before the first one's screen showed
        if journal_in_use(request.output):
            self._refuse(
                f"{request.output} is in use by another docpool batch running now: "
                "choose another output folder"
            )
            return
        if choice is None:
            choice, self.journal_choice = self.journal_choice, None
        if choice is None and journal_exists(request.output):

            def chosen(answer: JournalChoice | None) -> None:
                if answer is not None:
                    self.start_batch(request, answer)

            self.push_screen(
                JournalChoiceScreen(str(request.output), cannot_resume=_cannot_resume(request)),
                chosen,
            )
            return
        config = BatchConfig(
            folder=request.folder,
            output=request.output,
            workers=request.workers,
            timeout=request.timeout,
            processor=request.processor,
            report=request.report,
            resume=choice == "resume",
            overwrite=choice == "overwrite",
            memory_limit=request.memory_limit,
            retries=request.retries,
            follow_symlinks=request.follow_symlinks,
        )
        try:
            batch = Batch(config, clock=self.clock)
        except SetupError as error:
            if error.remedy == "empty_output" and choice is None:
                self._ask_to_write_into(request, setup_problem(error))
            else:
                self._refuse(setup_problem(error))
            return
        self.batch = batch
        self.batch_done.clear()
        self.push_screen(
            RunScreen(
                batch,
                folder=str(batch.config.folder),
                workers=batch.config.workers,
                max_workers=self.options.max_workers,
            )
        )

    def _ask_to_write_into(self, request: StartRequest, problem: str) -> None:
        """An output folder that holds other files: the command line's
        `--overwrite`, asked as a question (no earlier run's text is removed,
        as there is no journal to say which files were docpool's)."""

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_batch(request, "overwrite")
            else:
                self._refuse(problem)

        self.push_screen(
            ConfirmScreen(
                f"{request.output} already holds other files.\n\n"
                "Write the text files and the report into it anyway? A file "
                "with the same name as one of them is replaced; nothing else "
                "is touched.",
                yes="Write into it",
                no="Choose another",
            ),
            answered,
        )

    def _refuse(self, problem: str) -> None:
        if isinstance(self.screen, StartScreen):
            self.screen.show_problem(problem)

    def batch_ended(self) -> None:
        """The batch thread is done (called from that thread)."""
        self.batch_done.set()

    def batch_finished(self, event: BatchFinished | None) -> None:
        """The batch's last message arrived (None: it crashed)."""
        self.batch = None
        if self._quitting:
            self.exit(0)

    # Leaving.

    async def action_quit(self) -> None:
        if self.batch is None:
            self.exit(0)
            return
        if self._quitting or isinstance(self.screen, ConfirmScreen):
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.stop_batch_and_exit()

        self.push_screen(
            ConfirmScreen(
                "A batch is running. Stop it and quit?\n\n"
                "Running documents are abandoned; the report is written "
                "with status interrupted.",
                yes="Stop and quit",
                no="Keep running",
            ),
            answered,
        )

    def stop_batch_and_exit(self, return_code: int = 0) -> None:
        """Interrupt the batch and leave once its report is written."""
        if self.batch is None:
            self.exit(return_code, return_code=return_code)
            return
        self._quitting = True
        self.batch.interrupt()
        self.notify("Stopping the batch and writing the report…", timeout=QUIT_GRACE_SECONDS)
        self.set_timer(QUIT_GRACE_SECONDS, lambda: self.exit(return_code, return_code=return_code))

    def stop_for_signal(self) -> None:
        """The terminal went away or the system asked us to stop: interrupt and leave now.

        `run_app` waits for the batch thread, so the report is still written.
        """
        self.ended_by_signal = True
        if self.batch is not None:
            self.batch.interrupt()
        self.exit(SIGNAL_EXIT_CODE, return_code=SIGNAL_EXIT_CODE)

    def signalled(self, signum: int) -> None:
        """Called by the signal handler, in the main thread but outside the event loop's control."""
        self.ended_by_signal = True
        self.hung_up = self.hung_up or signum == signal.SIGHUP
        batch = self.batch
        if batch is not None:
            batch.interrupt()
        loop = self._event_loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.stop_for_signal)


def _cannot_resume(request: StartRequest) -> str:
    """Why the engine would refuse to resume the run in `request.output` (empty: it
    would not), so the dialog does not offer what can only fail."""
    from tui.engine import resume_mismatch
    from tui.journal import JournalError

    try:
        mismatch = resume_mismatch(request.output, request.folder.resolve(), request.processor)
    except JournalError:
        return ""  # the engine says what is wrong with it
    if mismatch is None:
        return ""
    kind, earlier = mismatch
    if kind == "folder":
        return f"It is a run of {earlier}, not of this folder."
    return f"It ran the processor {earlier}, not {request.processor}."


def install_signal_handlers(app: DocpoolApp) -> Callable[[], None]:
    """Make SIGHUP, SIGTERM and a SIGINT sent by `kill` end the app cleanly,
    signals that came during start-up included; return a function that undoes it.

    Textual's Linux driver leaves SIGHUP alone, so a dropped ssh connection
    would kill the process without a report and leave workers behind. (Ctrl+C
    typed in the app is a key, not a signal.)
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        app.signalled(signum)

    replaced = stop_signals.route_to(handler)
    return lambda: stop_signals.restore(replaced)


def _silence_stdio() -> None:
    """Point stdout and stderr at /dev/null: the terminal is gone, and a failed
    flush at exit would turn a clean exit into status 120."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)


def run_app(
    folder: Path | None,
    *,
    workers: int | None,
    output: Path | None,
    report: Path | None,
    timeout: float | None,
    processor: str | None,
    memory_limit: int | None = None,
    retries: int = 1,
    resume: bool = False,
    overwrite: bool = False,
    follow_symlinks: bool = False,
) -> int:
    """Run the app; return the process exit code (0 normally; 130 if ended by a signal).

    `memory_limit` is in bytes, as `BatchConfig` takes it.
    """
    from tui.process_start import prepare_process_start

    prepare_process_start()
    app = DocpoolApp(
        folder, workers=workers, output=output, report=report, timeout=timeout,
        processor=processor, memory_limit=memory_limit, retries=retries, resume=resume,
        overwrite=overwrite, follow_symlinks=follow_symlinks,
    )
    restore = install_signal_handlers(app)
    if app.ended_by_signal:  # stopped while it started: there is no batch yet
        restore()
        return SIGNAL_EXIT_CODE
    try:
        app.run()
    finally:
        batch = app.batch
        if batch is not None:
            batch.interrupt()
        app.batch_done.wait(BATCH_END_WAIT_SECONDS)
        restore()
        if app.hung_up:
            _silence_stdio()
    if app.ended_by_signal:
        return SIGNAL_EXIT_CODE
    return app.return_code or 0
