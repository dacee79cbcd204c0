"""`docpool run`: the engine's events as terminal lines, for scripts, cron and pipes."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import IO

from tui import stop_signals
from tui.cli import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, megabytes
from tui.engine import Batch, BatchConfig, SetupError, default_workers
from tui.events import BatchFinished, DocumentFinished, DocumentRecord, Event, Progress, ProgressSnapshot
from tui.formatting import short_duration, size

LINE_SECONDS = 5.0
BAR_SECONDS = 0.1
JSON_SECONDS = 0.25
BAR_WIDTH = 24


def config_from_options(options: argparse.Namespace) -> BatchConfig:
    return BatchConfig(
        folder=options.folder,
        output=options.output or Path("docpool-out"),
        workers=options.workers or default_workers(),
        timeout=options.timeout or 120.0,
        processor=options.processor or "text",
        report=options.report,
        memory_limit=megabytes(options.memory_limit),
        retries=options.retries,
        resume=options.resume,
        overwrite=options.overwrite,
        follow_symlinks=options.follow_symlinks,
    )


def run_headless(options: argparse.Namespace) -> int:
    stop = _StopOnSignals()
    try:
        batch = Batch(config_from_options(options))
    except SetupError as error:
        print(f"docpool: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    stop.batch = batch
    mode = options.progress
    if mode == "auto":
        mode = "bar" if sys.stderr.isatty() else "lines"
    printer = ProgressPrinter(mode, sys.stderr)
    finished: BatchFinished | None = None
    for event in batch.run():
        printer.show(event)
        if isinstance(event, BatchFinished):
            finished = event
    stop.ignore_from_now_on()
    assert finished is not None
    _print_summary(finished)
    if finished.status != "completed":
        return EXIT_INTERRUPTED
    if finished.snapshot.totals.failed or not finished.report_path:
        return EXIT_FAILED
    return EXIT_OK


class _StopOnSignals:
    """Ctrl+C, SIGTERM and a hang-up all stop the batch; the report is still written.

    Taken over before the batch is built (reading a large journal takes a
    moment), with any signal that came during start-up, so a signal then
    stops the batch as soon as it exists; once the report is written, late
    signals are ignored so they cannot cut the exit short.
    """

    def __init__(self) -> None:
        self._batch: Batch | None = None
        self._requested = False
        stop_signals.route_to(self._stop)

    @property
    def batch(self) -> Batch | None:
        return self._batch

    @batch.setter
    def batch(self, batch: Batch) -> None:
        self._batch = batch
        if self._requested:
            batch.interrupt()

    def ignore_from_now_on(self) -> None:
        stop_signals.ignore_from_now_on()

    def _stop(self, signum: int, frame: object) -> None:
        self._requested = True
        if self._batch is not None:
            self._batch.interrupt()


def _print_summary(finished: BatchFinished) -> None:
    totals = finished.snapshot.totals
    line = (
        f"{finished.status}: {totals.succeeded} succeeded, {totals.failed} failed, "
        f"{finished.not_processed} not processed in {short_duration(finished.snapshot.elapsed)}"
    )
    if finished.removed:
        line += f"; {finished.removed} removed from the folder since the earlier run, left out"
    try:
        print(line)
        if finished.problem:
            print(f"problem: {finished.problem}")
        if finished.report_path:
            print(f"report: {finished.report_path}")
        else:
            print("report: not written")
        sys.stdout.flush()
    except OSError:  # a closed pipe, a full disk (`> /dev/full`): the report is on disk
        silence(sys.stdout)


def silence(stream: IO[str]) -> None:
    """Send what is left in `stream`, and what comes later, to /dev/null, so
    that the flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class ProgressPrinter:
    """Turns events into output for one of the --progress modes."""

    def __init__(self, mode: str, stream: IO[str], clock=time.monotonic) -> None:
        self.mode = mode
        self.stream = stream
        self._clock = clock
        self._last = float("-inf")
        self._bar_drawn = False
        encoding = (getattr(stream, "encoding", None) or "ascii").lower().replace("-", "")
        self._blocks = ("█", "░") if encoding == "utf8" else ("#", "-")

    def show(self, event: Event) -> None:
        try:
            self._show(event)
        except (OSError, ValueError):
            self.mode = "none"
            silence(self.stream)

    def _show(self, event: Event) -> None:
        if self.mode == "none":
            return
        now = self._clock()
        if isinstance(event, DocumentFinished) and event.record.status == "failed":
            if self.mode in ("bar", "lines"):
                record = event.record
                self._clear_bar()
                self.stream.write(f"failed: {one_line(record.path)}: {_reason(record)}\n")
        elif isinstance(event, Progress):
            interval = {"bar": BAR_SECONDS, "lines": LINE_SECONDS, "json": JSON_SECONDS}[self.mode]
            if now - self._last < interval:
                return
            self._last = now
            self._draw(event.snapshot)
        elif isinstance(event, BatchFinished):
            self._draw(event.snapshot, status=event.status)
            if self.mode == "bar":
                self.stream.write("\n")
                self._bar_drawn = False
        self.stream.flush()

    def _draw(self, snapshot: ProgressSnapshot, status: str | None = None) -> None:
        if self.mode == "json":
            self.stream.write(json.dumps(progress_fields(snapshot, status)) + "\n")
        elif self.mode == "lines":
            self.stream.write(progress_line(snapshot, status) + "\n")
        elif self.mode == "bar":
            line = progress_bar(snapshot, self._blocks)[: self._columns() - 1]
            self.stream.write("\r" + line + "\x1b[K")
            self._bar_drawn = True

    def _columns(self) -> int:
        """The terminal's width now (it may have been resized): a longer bar
        would wrap, and every redraw would add a line."""
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (OSError, ValueError, AttributeError):
            return 80

    def _clear_bar(self) -> None:
        if self._bar_drawn:
            self.stream.write("\r\x1b[K")
            self._bar_drawn = False


def progress_fields(snapshot: ProgressSnapshot, status: str | None = None) -> dict:
    """The --progress json object: what wrappers and monitoring read."""
    totals = snapshot.totals
    fields = {
        "elapsed_s": round(snapshot.elapsed, 3),
        "done": totals.done,
        "total": totals.discovered,
        "succeeded": totals.succeeded,
        "failed": totals.failed,
        "skipped": totals.skipped,
        "pages": totals.pages,
        "bytes_done": totals.bytes_done,
        "total_bytes": totals.discovered_bytes,
        "in_flight": len(snapshot.in_flight),
        "workers": snapshot.workers,
        "paused": snapshot.paused,
        "eta_s": None if snapshot.eta_seconds is None else round(snapshot.eta_seconds, 2),
        "docs_per_s": round(snapshot.docs_per_second, 3),
        "pages_per_s": round(snapshot.pages_per_second, 3),
        "bytes_per_s": round(snapshot.bytes_per_second, 1),
    }
    if status is not None:
        fields["status"] = status
    return fields


def progress_line(snapshot: ProgressSnapshot, status: str | None = None) -> str:
    totals = snapshot.totals
    total = "?" if totals.discovered is None else str(totals.discovered)
    eta = "estimating" if snapshot.eta_seconds is None else short_duration(snapshot.eta_seconds)
    head = f"{status}: " if status else ""
    return (
        f"{head}{totals.done}/{total} done, {totals.failed} failed, "
        f"elapsed {short_duration(snapshot.elapsed)}, eta {eta}, "
        f"{snapshot.docs_per_second:.1f} docs/s, {size(snapshot.bytes_per_second)}/s"
    )


def progress_bar(snapshot: ProgressSnapshot, blocks: tuple[str, str] = ("█", "░")) -> str:
    totals = snapshot.totals
    full, empty = blocks
    if totals.discovered:
        fraction = min(1.0, totals.done / totals.discovered)
        filled = int(fraction * BAR_WIDTH)
        bar = full * filled + empty * (BAR_WIDTH - filled)
        percent = f"{fraction * 100:5.1f}%"
        total = str(totals.discovered)
    else:
        bar = empty * BAR_WIDTH
        percent = "  ?  "
        total = "?"
    eta = "estimating" if snapshot.eta_seconds is None else short_duration(snapshot.eta_seconds)
    paused = " paused" if snapshot.paused else ""
    return (
        f"{bar} {percent} {totals.done}/{total} failed {totals.failed} "
        f"eta {eta} {snapshot.docs_per_second:.1f}/s{paused}"
    )


def _reason(record: DocumentRecord) -> str:
    """`error: message`, without saying the error twice when the message
    already starts with it (`encrypted: password required`)."""
    message = one_line(record.message)
    if message == record.error or message.startswith(f"{record.error}:"):
        return message
    return f"{record.error}: {message}"


def one_line(text: str) -> str:
    """A file name may hold a newline; a progress line may not."""
    return text.replace("\r", "\\r").replace("\n", "\\n")
