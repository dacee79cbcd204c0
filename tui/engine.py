"""The batch engine: discover, process in a pool, journal, report.

`Batch.run()` is a blocking generator of events (see `tui.events`): the
headless command prints them, the app posts them to its screens. The control
methods (`pause`, `resume`, `cancel`, `interrupt`, `set_workers`) may be called
from any thread; the loop picks them up within a tenth of a second.

The engine keeps a bounded window of documents ahead of the workers (not the
whole folder), starts the largest of that window first so the batch does not
end with one big file on one core, and journals every record before counting
it done.
"""

from __future__ import annotations

import errno
import heapq
import itertools
import os
import re
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from tui.atomic import clear_staging
from tui.discover import Document, Unreadable, iter_documents
from tui.eta import EtaEstimator
from tui.events import (
    BatchFinished,
    BatchStarted,
    BatchStatus,
    DocumentFinished,
    DocumentRecord,
    DocumentStarted,
    Event,
    InFlight,
    Progress,
    ProgressSnapshot,
    Totals,
)
from tui.journal import (
    Journal,
    JournalError,
    has_header,
    journal_exists,
    journal_in_use,
    journal_path,
    read_header,
    read_records_at,
)
from tui.pool import Executor, ProcessPool, Started
from tui.processors import (
    BUILTIN_PROCESSORS,
    STAGING_FOLDER,
    ProcessorNotFound,
    load_processor,
    text_output_path,
)
from tui.report import ReportRows, RunFacts, is_docpool_report, report_paths, write_report
from tui.worker import Held, Outcome, PageProgress, Task, WorkerSettings

LOOKAHEAD_DOCUMENTS = 256
RETRYABLE_ERRORS = frozenset({"timeout", "crashed", "memory"})
SNAPSHOT_SECONDS = 0.2
POLL_SECONDS = 0.1
STALL_SECONDS = 2.0
"""A turn of the loop this much longer than its longest wait means the
controller lay still (Ctrl+Z, SIGSTOP, a suspended machine), and its workers
most likely with it: that time counts against no document's timeout."""
RATE_WINDOW_SECONDS = 10.0
MIN_MEMORY_LIMIT = 512 * 1024 * 1024
SMALLEST_MEMORY_LIMIT = 64 * 1024 * 1024
"""Below this a worker fails arbitrary documents, whichever it happens to grow on."""
LARGEST_MEMORY_LIMIT = 2**62
"""The kernel's limits are 64-bit; more than this is no cap at all."""


def default_workers() -> int:
    return os.cpu_count() or 1


def default_memory_limit() -> int:
    """Half the machine's memory shared among as many workers as it has CPUs."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * 1024**3
    return max(MIN_MEMORY_LIMIT, total // (2 * default_workers()))


@dataclass(frozen=True)
class BatchConfig:
    folder: Path
    output: Path = Path("docpool-out")
    workers: int = field(default_factory=default_workers)
    timeout: float = 120.0
    processor: str = "text"
    report: Path | None = None
    """Where report.json goes; report.csv and report.md go beside it. Default output/report.json."""
    memory_limit: int | None = None
    """Bytes of address space per worker; None for `default_memory_limit()`, 0 for no cap."""
    retries: int = 1
    resume: bool = False
    overwrite: bool = False
    follow_symlinks: bool = False

    @property
    def report_path(self) -> Path:
        return self.report if self.report is not None else self.output / "report.json"


Remedy = Literal[
    "resume_or_overwrite", "same_processor", "json_report", "another_report",
    "resume_xor_overwrite", "empty_output",
]
"""A fix that the message of a SetupError names with command-line flags."""


class SetupError(Exception):
    """The batch cannot start; the message is one line for the user.

    Where the message names command-line flags, `problem` says what is wrong
    without them and `remedy` which fix they are: the app, which has no flags,
    words that fix with its own controls. The message stays as scripts grep it.
    """

    def __init__(self, message: str, *, problem: str | None = None, remedy: Remedy | None = None) -> None:
        super().__init__(message)
        self.problem = message if problem is None else problem
        self.remedy = remedy


class _Stopped(Exception):
    """The batch cannot go on (the disk is full...); the message is one line."""


@dataclass(frozen=True)
class _Previous:
    """What an earlier run's journal says about one path."""

    bytes: int
    mtime: float
    status: str
    pages: int
    offset: int
    """Where its latest record starts in the journal."""
    text_characters: int | None = None
    """The characters its record says it wrote to a text file; None when it
    names no text file (a failure, or a processor that writes none)."""


ExecutorFactory = Callable[[WorkerSettings, int], Executor]


@dataclass
class _Running:
    document: Document
    attempt: int
    started: float | None
    """Clock time the attempt started; None while queued behind another task."""
    left: tuple[float, float] | None = None
    """(seconds left, clock time) from the document's own page pace, when its
    processor reports pages."""


@dataclass
class _Counts:
    """Running tallies, for snapshots. Mutated only by the engine loop."""

    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    pages: int = 0
    bytes_done: int = 0
    resumed: int = 0
    resumed_bytes: int = 0
    processed: int = 0
    processed_pages: int = 0
    processed_bytes: int = 0


class Batch:
    """One run of a processor over a folder. Create, then iterate `run()` once."""

    def __init__(
        self,
        config: BatchConfig,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        executor: ExecutorFactory = ProcessPool,
    ) -> None:
        self.config = _checked(config)
        self._clock = clock
        self._wall_clock = wall_clock
        self._executor_factory = executor
        self._workers = self.config.workers
        self._requested_workers: int | None = None
        self._paused = False
        self._stop: BatchStatus | None = None
        self._previous = _previous_run(self.config)
        self._counts = _Counts()
        self._discovered: int | None = None
        self._discovered_bytes: int | None = None
        self._count_stop = threading.Event()
        self._running: dict[int, _Running] = {}
        self._rates: deque[tuple[float, int, int, int]] = deque()
        self._idle = 0.0
        """Seconds the batch did no work (paused with nothing running, or
        stopped), left out of the throughput so it is right again at once."""
        self._eta = EtaEstimator(self._workers)
        self._pool: Executor | None = None
        """The running batch's pool, for where its queued documents wait."""
        self._ran = False

    # Control, from any thread.

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def workers(self) -> int:
        return self._requested_workers or self._workers

    def pause(self) -> None:
        """Start no new document; those running carry on."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def cancel(self) -> None:
        """Stop now: kill running documents, end with status `cancelled`."""
        if self._stop is None:
            self._stop = "cancelled"

    def interrupt(self) -> None:
        """Stop now because the user or the system is going away: status `interrupted`."""
        if self._stop is None:
            self._stop = "interrupted"

    def set_workers(self, workers: int) -> None:
        """Run `workers` documents at once from now on (takes effect within 0.1 s)."""
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._requested_workers = workers

    # The loop.

    def run(self) -> Iterator[Event]:
        if self._ran:
            raise RuntimeError("a Batch runs once")
        self._ran = True
        config = self.config
        self._started = self._clock()
        self._started_at = self._wall_clock()
        self._reprocessed: set[str] = set()
        self._unjournalled: list[DocumentRecord] = []
        self._taken: ReportRows | None = None
        self._unreadable: deque[Unreadable] = deque()
        self._found: set[str] = set()
        self._unlisted: list[str] = []
        self._walked = False
        self._removed = 0
        self._documents = self._discover()
        self._window: list[tuple[int, int, Document]] = []
        self._sequence = itertools.count()
        self._retry: deque[tuple[Document, int]] = deque()
        self._exhausted = False
        counter = threading.Thread(target=self._count, name="docpool-count", daemon=True)
        try:
            journal = Journal(
                config.output,
                {
                    "folder": str(config.folder),
                    "processor": config.processor,
                    "started_at": self._started_at.isoformat(),
                },
                append=config.resume,
                clock=self._clock,
            )
        except OSError as error:
            self._journal_start = 0
            if error.errno == errno.EBUSY:  # another run took the folder since it was checked
                self._count_stop.set()
                now = self._clock()
                yield BatchFinished("interrupted", self._snapshot(now), "", 0, _journal_problem(error))
                return  # its report is that run's to write
            yield self._finish(None, None, counter, "interrupted", _journal_problem(error))
            return
        self._journal_start = journal.size
        self._taken = _report_rows(config.output)
        clear_staging(config.output / STAGING_FOLDER)  # what a killed run left; the lock is ours
        counter.start()
        settings = WorkerSettings(
            processor=config.processor,
            folder=str(config.folder),
            output=str(config.output),
            memory_limit=_memory_limit(config),
            controller_pid=os.getpid(),
        )
        pool: Executor | None = None
        status: BatchStatus = "interrupted"
        problem = ""
        finished = False
        try:
            pool = self._executor_factory(settings, self._workers)
            self._pool = pool
            yield BatchStarted(
                folder=str(config.folder),
                output=str(config.output),
                workers=self._workers,
                processor=config.processor,
                resumed=len(self._previous),
            )
            status, problem = yield from self._loop(pool, journal)
        except _Stopped as stopped:
            status, problem = "interrupted", str(stopped)
        except GeneratorExit:
            status, problem = "interrupted", ""
            self._finish(pool, journal, counter, status, problem)
            finished = True
            raise
        except Exception as error:  # noqa: BLE001 - the report must still be written
            status, problem = "interrupted", f"internal error: {type(error).__name__}: {error}"
        finally:
            if not finished:
                event = self._finish(pool, journal, counter, status, problem)
        yield event

    def _loop(self, pool: Executor, journal: Journal) -> Iterator[Event]:
        next_snapshot = last_turn = self._clock()
        held = False
        ids = itertools.count(1)
        while True:
            if self._stop is not None:
                return self._stop, ""
            if self._requested_workers is not None:
                self._workers = self._requested_workers
                self._requested_workers = None
                pool.resize(self._workers)
                self._eta.set_workers(self._workers, self._clock())
            if self._paused != held:
                held = self._paused
                pool.hold(held)
            # Seconds in `pool.submit`, which starts workers as documents need
            # them: work, not a stall (a turn is only measured to find stalls).
            submitting = 0.0
            if not self._paused:
                while self._stop is None and pool.idle_slots() > 0:
                    picked = self._next_document()
                    if picked is None:
                        break
                    document, attempt = picked
                    task_id = next(ids)
                    run = _Running(document, attempt, None)
                    self._running[task_id] = run
                    before = self._clock()
                    started_at_once = pool.submit(Task(task_id, document.path))
                    submitting += self._clock() - before
                    if started_at_once:
                        yield self._start(run)
            for unreadable in self._drain_unreadable():
                record = _unreadable_record(unreadable)
                self._reprocessed.add(record.path)
                self._record(journal, record)
                yield DocumentFinished(record)
            if not self._running and self._exhausted and not self._retry and not self._window:
                return "completed", ""
            wait = POLL_SECONDS
            started = [run.started for run in self._in_flight()]
            if started:
                wait = max(0.0, min(wait, min(started) + self.config.timeout - self._clock()))
            for outcome in pool.wait(wait):
                if isinstance(outcome, Started):
                    if outcome.task_id in self._running:
                        yield self._start(self._running[outcome.task_id])
                    continue
                if isinstance(outcome, Held):
                    if outcome.task_id in self._running:
                        self._running[outcome.task_id].started = None  # not running: paused
                    continue
                if isinstance(outcome, PageProgress):
                    if outcome.task_id in self._running:
                        self._running[outcome.task_id].left = (outcome.seconds_left, self._clock())
                    continue
                if self._stop is not None and outcome.error == "crashed":
                    continue  # killed by the same signal as the controller: not its fault
                record = self._settle(outcome)
                if record is None:
                    continue
                if _disk_full(record):
                    self._unjournalled.append(_not_processed_like(record))
                    return "interrupted", _disk_full_problem(record)
                self._record(journal, record)
                yield DocumentFinished(record)
            try:
                journal.sync_if_due()
            except OSError as error:
                raise _Stopped(_journal_problem(error)) from None
            now = self._clock()
            self._account_for_idle_time(now - last_turn - submitting)
            last_turn = now
            for task_id, run in list(self._running.items()):
                if self._stop is not None:
                    break
                if run.started is not None and now - run.started > self.config.timeout:
                    pool.kill(task_id)
                    outcome = Outcome(
                        task_id, False, {}, "timeout",
                        f"no result after {self.config.timeout:g} s; the worker was killed",
                        now - run.started,
                    )
                    record = self._settle(outcome)
                    if record is not None:
                        self._record(journal, record)
                        yield DocumentFinished(record)
            if now >= next_snapshot:
                next_snapshot = now + SNAPSHOT_SECONDS
                yield Progress(self._snapshot(now))

    def _account_for_idle_time(self, turn: float) -> None:
        """Leave time the batch did no work out of its throughput, and a stall
        out of the running documents' timeouts."""
        if self._paused and not self._in_flight():
            self._idle += turn
            return
        stalled = turn - POLL_SECONDS
        if stalled <= STALL_SECONDS:
            return
        self._idle += stalled
        for run in self._running.values():
            if run.started is not None:
                run.started += stalled
            if run.left is not None:
                run.left = (run.left[0], run.left[1] + stalled)

    def _start(self, run: _Running) -> DocumentStarted:
        run.started = self._clock()
        document = run.document
        return DocumentStarted(InFlight(document.relative, document.bytes, run.started, run.attempt))

    def _in_flight(self) -> list[_Running]:
        """Documents a worker is processing now (not those queued behind them)."""
        return [run for run in self._running.values() if run.started is not None]

    def _settle(self, outcome: Outcome) -> DocumentRecord | None:
        """Turn an outcome into a record, or queue a retry and return None."""
        run = self._running.pop(outcome.task_id, None)
        if run is None:
            return None
        document = run.document
        seconds = outcome.seconds or (self._clock() - (run.started or self._clock()))
        self._eta.document_finished(document.bytes, seconds, self._clock(), warming=outcome.first)
        if not outcome.ok and outcome.error in RETRYABLE_ERRORS and run.attempt <= self.config.retries:
            self._retry.append((document, run.attempt + 1))
            return None
        pages = outcome.data.get("pages", 0) if outcome.ok else 0
        return DocumentRecord(
            path=document.relative,
            status="succeeded" if outcome.ok else "failed",
            bytes=document.bytes,
            mtime=document.mtime,
            pages=pages if isinstance(pages, int) else 0,
            seconds=round(seconds, 4),
            error=outcome.error,
            message=outcome.message,
            attempts=run.attempt,
            data=outcome.data,
        )

    def _record(self, journal: Journal, record: DocumentRecord) -> None:
        """Journal `record`, then count it done; stop the batch if it cannot be journalled."""
        try:
            journal.append(record)
        except OSError as error:
            self._unjournalled.append(
                record if record.path.endswith("/") else _not_processed_like(record)
            )
            raise _Stopped(_journal_problem(error)) from None
        counts = self._counts
        if record.status == "succeeded":
            counts.succeeded += 1
        else:
            counts.failed += 1
        counts.pages += record.pages
        counts.bytes_done += record.bytes
        counts.processed += 1
        counts.processed_pages += record.pages
        counts.processed_bytes += record.bytes
        if self._taken is not None:
            try:
                self._taken.add(record)
            except OSError:  # the report reads this run's records back instead
                self._taken.close()
                self._taken = None

    # Discovery and scheduling.

    def _discover(self) -> Iterator[Document]:
        """Documents to process this run: discovery less what an earlier run did.

        Notes which of the earlier run's documents it finds, so that once the
        walk is over (and only then) the others are known to be gone.
        """
        for document in iter_documents(
            self.config.folder,
            exclude=self.config.output,
            follow_symlinks=self.config.follow_symlinks,
            on_unreadable=self._note_unreadable,
        ):
            previous = self._previous.get(document.relative)
            if previous is not None:
                self._found.add(document.relative)
                unchanged = (previous.bytes, previous.mtime) == (document.bytes, document.mtime)
                if unchanged and not self._text_lost(document.relative, previous):
                    self._take_over(previous)
                    continue
                self._reprocessed.add(document.relative)
            yield document
        self._walked = True

    def _text_lost(self, relative: str, previous: _Previous) -> bool:
        """Whether the text file an earlier record names is missing, or empty
        though it had characters: a power cut can leave a journalled record
        whose text never reached the disk. Its document is then done again.
        The file is looked for where this output keeps it, not at the path
        the record holds: the output folder may have moved since."""
        if previous.text_characters is None or previous.status != "succeeded":
            return False
        try:
            size = text_output_path(self.config.output, relative).stat().st_size
        except OSError:
            return True
        return size == 0 and previous.text_characters > 0

    def _note_unreadable(self, unreadable: Unreadable) -> None:
        self._unreadable.append(unreadable)
        if unreadable.relative.endswith("/"):
            self._unlisted.append(unreadable.relative)
        elif unreadable.relative in self._previous:
            self._found.add(unreadable.relative)

    def _gone(self, path: str) -> bool:
        """Whether an earlier run's document is no longer in the folder.

        Only a finished walk can tell: a document it has not reached yet is
        not gone, nor is one inside a folder it could not list.
        """
        return (
            self._walked
            and path not in self._found
            and not path.startswith(tuple(self._unlisted))
        )

    def _take_over(self, previous: _Previous) -> None:
        counts = self._counts
        counts.resumed += 1
        counts.resumed_bytes += previous.bytes
        if previous.status == "succeeded":
            counts.succeeded += 1
        elif previous.status == "failed":
            counts.failed += 1
        else:
            counts.skipped += 1
        counts.pages += previous.pages
        counts.bytes_done += previous.bytes

    def _drain_unreadable(self) -> Iterator[Unreadable]:
        while self._unreadable:
            yield self._unreadable.popleft()

    def _window_size(self) -> int:
        """Wide enough that a big file found late still starts early (a short
        tail), small enough to cost the controller nothing at any folder size."""
        return max(LOOKAHEAD_DOCUMENTS, 32 * self._workers)

    def _next_document(self) -> tuple[Document, int] | None:
        if self._retry:
            return self._retry.popleft()
        while not self._exhausted and len(self._window) < self._window_size():
            document = next(self._documents, None)
            if document is None:
                self._exhausted = True
                break
            heapq.heappush(self._window, (-document.bytes, next(self._sequence), document))
        if not self._window:
            return None
        if self._counts.processed == 0 and not self._running:
            # The first document is the smallest in sight: a result comes soon.
            smallest = max(self._window, key=lambda item: (item[0], -item[1]))
            self._window.remove(smallest)
            heapq.heapify(self._window)
            return smallest[2], 1
        return heapq.heappop(self._window)[2], 1

    def _count(self) -> None:
        """Count documents and bytes in the background, so work starts at once."""
        count = 0
        total = 0
        for document in iter_documents(
            self.config.folder,
            exclude=self.config.output,
            follow_symlinks=self.config.follow_symlinks,
            ordered=False,
            stop=self._count_stop.is_set,
        ):
            count += 1
            total += document.bytes
        if not self._count_stop.is_set():
            self._discovered, self._discovered_bytes = count, total

    # Snapshots.

    def _snapshot(self, now: float) -> ProgressSnapshot:
        counts = self._counts
        elapsed = now - self._started
        in_flight = tuple(
            InFlight(run.document.relative, run.document.bytes, run.started, run.attempt)
            for run in self._in_flight()
        )
        working = now - self._idle
        self._rates.append((working, counts.processed, counts.processed_pages, counts.processed_bytes))
        while len(self._rates) > 2 and working - self._rates[1][0] >= RATE_WINDOW_SECONDS:
            self._rates.popleft()
        first = self._rates[0]
        span = working - first[0]
        if self._paused and not in_flight:
            docs_rate = pages_rate = bytes_rate = 0.0
        elif span > 0:
            docs_rate = (counts.processed - first[1]) / span
            pages_rate = (counts.processed_pages - first[2]) / span
            bytes_rate = (counts.processed_bytes - first[3]) / span
        else:
            docs_rate = pages_rate = bytes_rate = 0.0
        discovered, discovered_bytes = self._known_total()
        return ProgressSnapshot(
            elapsed=elapsed,
            totals=Totals(
                discovered=discovered,
                discovered_bytes=discovered_bytes,
                succeeded=counts.succeeded,
                failed=counts.failed,
                skipped=counts.skipped,
                pages=counts.pages,
                bytes_done=counts.bytes_done,
            ),
            in_flight=in_flight,
            workers=self._workers,
            paused=self._paused,
            eta_seconds=None if self._paused else self._estimate(now, discovered, discovered_bytes),
            docs_per_second=docs_rate,
            pages_per_second=pages_rate,
            bytes_per_second=bytes_rate,
            now=now,
        )

    def _known_total(self) -> tuple[int | None, int | None]:
        if self._exhausted:
            counts = self._counts
            window_bytes = sum(item[2].bytes for item in self._window)
            running = list(self._running.values())
            retry = list(self._retry)
            total = counts.succeeded + counts.failed + counts.skipped
            total += len(self._window) + len(running) + len(retry)
            total_bytes = counts.bytes_done + window_bytes
            total_bytes += sum(run.document.bytes for run in running)
            total_bytes += sum(document.bytes for document, _ in retry)
            return total, total_bytes
        return self._discovered, self._discovered_bytes

    def _estimate(self, now: float, discovered: int | None, discovered_bytes: int | None) -> float | None:
        if discovered is None or discovered_bytes is None:
            return None
        counts = self._counts
        behind = self._pool.queued_behind() if self._pool is not None else {}
        in_flight = []
        settled_docs = settled_bytes = 0
        for task_id, run in self._running.items():
            if run.started is None:
                continue
            followers = [
                self._running[queued].document.bytes
                for queued in behind.get(task_id, ())
                if queued in self._running
            ]
            in_flight.append((run.document.bytes, run.started, _left(run, now), followers))
            settled_docs += 1 + len(followers)
            settled_bytes += run.document.bytes + sum(followers)
        remaining_docs = discovered - (counts.succeeded + counts.failed + counts.skipped) - settled_docs
        remaining_bytes = discovered_bytes - counts.bytes_done - settled_bytes
        return self._eta.estimate(now, max(0, remaining_docs), max(0, remaining_bytes), in_flight)

    # The end.

    def _finish(
        self,
        pool: Executor | None,
        journal: Journal | None,
        counter: threading.Thread,
        status: BatchStatus,
        problem: str,
    ) -> BatchFinished:
        """Kill the workers, close the journal, and write the report, whatever happened."""
        self._count_stop.set()
        if pool is not None:
            try:
                pool.shutdown()
            except Exception:  # noqa: BLE001
                pass
            else:
                clear_staging(self.config.output / STAGING_FOLDER)
        if journal is not None:
            try:
                journal.close()
            except OSError as error:
                problem = problem or _journal_problem(error)
        now = self._clock()
        not_processed = self._not_processed()
        facts = RunFacts(
            status=status,
            folder=str(self.config.folder),
            output=str(self.config.output),
            processor=self.config.processor,
            workers=self._workers,
            started_at=self._started_at.isoformat(),
            finished_at=self._wall_clock().isoformat(),
            elapsed_seconds=now - self._started,
            processed_this_run=self._counts.processed,
            pages_this_run=self._counts.processed_pages,
            bytes_this_run=self._counts.processed_bytes,
            problem=problem,
        )
        left = 0
        report_path = self.config.report_path

        def records() -> Iterator[DocumentRecord]:
            nonlocal left
            for record in not_processed:
                left += record.status == "not_processed"
                yield record
            yield from self._journalled_records()

        def facts_after_records() -> RunFacts:
            """With what the end of the walk taught: documents taken over, documents gone."""
            return replace(facts, resumed=self._counts.resumed, removed=self._removed)

        rows = records()
        try:
            write_report(report_path, facts_after_records, rows, self._taken)
            written = str(report_path)
        except OSError as error:
            written = ""
            problem = problem or f"cannot write the report {report_path}: {error.strerror or error}"
            for _ in rows:  # the summary still counts every document
                pass
        finally:
            if self._taken is not None:
                self._taken.close()
        # Taken after the walk that the report finished: it counts what was taken over.
        snapshot = self._snapshot(now)
        return BatchFinished(status, snapshot, written, left, problem, removed=self._removed)

    def _journalled_records(self) -> Iterator[DocumentRecord]:
        """Each document's latest record: an earlier run's unless redone in this one.

        An earlier run's record of an unreadable folder is left out: this run
        either finds the folder unreadable again, and says so, or lists what
        is in it. So is one of a document no longer in the folder (counted in
        `_removed`): the report covers the folder as it is. Runs after
        `_not_processed`, which finishes the walk that tells what is gone.
        This run's records are left out when the report has taken them as
        they landed (`ReportRows`).
        """
        start = self._journal_start
        taken = self._taken is not None
        redone = self._reprocessed
        previous = self._previous
        if not journal_exists(self.config.output):
            return
        for offset, record in read_records_at(self.config.output):
            if offset >= start and taken:
                return
            if offset < start:
                latest = previous.get(record.path)
                if (
                    record.path in redone
                    or record.path.endswith("/")
                    or latest is None
                    or latest.offset != offset
                ):
                    continue
                if self._gone(record.path):
                    self._removed += 1
                    continue
            yield record

    def _not_processed(self) -> Iterator[DocumentRecord]:
        """Records for everything this run did not finish, found lazily.

        The rest of the walk happens here. A document it finds that an earlier
        run recorded unchanged is taken over, not listed: its record comes
        from the journal; one that changed since is listed, not processed.
        """
        leftovers: list[tuple[Document, int]] = [
            (run.document, run.attempt - 1) for run in self._running.values()
        ]
        self._running.clear()
        leftovers += [(document, attempt - 1) for document, attempt in self._retry]
        leftovers += [(item[2], 0) for item in self._window]
        self._retry.clear()
        self._window.clear()
        yield from self._unjournalled
        for document, attempts in leftovers:
            yield _not_processed_record(document, attempts)
        previous = self._previous
        for document in self._documents:
            yield _not_processed_record(document, 0)
        for unreadable in self._drain_unreadable():
            if unreadable.relative.endswith("/") or unreadable.relative not in previous:
                yield _unreadable_record(unreadable)


def _left(run: _Running, now: float) -> float | None:
    if run.left is None:
        return None
    seconds, at = run.left
    return max(0.0, seconds - (now - at))


def _report_rows(output: Path) -> ReportRows | None:
    """Where the report takes this run's records as they land; None (it reads
    them back from the journal) if no temporary file can be made."""
    try:
        return ReportRows(output)
    except OSError:
        return None


def _not_processed_record(document: Document, attempts: int) -> DocumentRecord:
    return DocumentRecord(
        path=document.relative,
        status="not_processed",
        bytes=document.bytes,
        mtime=document.mtime,
        attempts=attempts,
    )


def _unreadable_record(unreadable: Unreadable) -> DocumentRecord:
    return DocumentRecord(
        path=unreadable.relative, status="failed", error=unreadable.error,
        message=unreadable.message, attempts=1,
    )


def _not_processed_like(record: DocumentRecord) -> DocumentRecord:
    """A finished document whose record could not be kept: to be redone on resume."""
    return DocumentRecord(
        path=record.path,
        status="not_processed",
        bytes=record.bytes,
        mtime=record.mtime,
        attempts=record.attempts,
    )


_DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def _disk_full(record: DocumentRecord) -> bool:
    return record.status == "failed" and any(
        f"[Errno {number}]" in record.message for number in _DISK_FULL_ERRNOS
    )


def _disk_full_problem(record: DocumentRecord) -> str:
    reason = re.sub(r"^\[Errno \d+\] ", "", record.message)
    path = record.path.replace("\n", "\\n")
    return f"disk full: cannot write the output of {path}: {reason}"


def _journal_problem(error: OSError) -> str:
    reason = error.strerror or str(error)
    if error.errno in _DISK_FULL_ERRNOS:
        return f"disk full: cannot write the journal: {reason}"
    return f"cannot write the journal: {reason}"


def _memory_limit(config: BatchConfig) -> int | None:
    if config.memory_limit == 0:
        return None
    return config.memory_limit or default_memory_limit()


def _previous_run(config: BatchConfig) -> dict[str, _Previous]:
    """What an earlier run's journal says was done, path by path (the latest record wins)."""
    if not config.resume or not journal_exists(config.output):
        return {}
    previous: dict[str, _Previous] = {}
    try:
        for offset, record in read_records_at(config.output):
            previous[record.path] = _Previous(
                record.bytes, record.mtime, record.status, record.pages, offset,
                _text_characters(record),
            )
    except OSError as error:
        raise SetupError(f"cannot read the journal: {error.strerror or error}") from None
    return previous


def _text_characters(record: DocumentRecord) -> int | None:
    """The characters a record says it wrote to its text file; None if it
    names no text file."""
    characters = record.data.get("characters") if isinstance(record.data, dict) else None
    if _named_text_file(record) is None or not isinstance(characters, int):
        return None
    return characters


def _named_text_file(record: DocumentRecord) -> str | None:
    """The text file a record says its processor wrote, if it names one."""
    named = record.data.get("text_file") if isinstance(record.data, dict) else None
    return named if isinstance(named, str) else None


def _remove_earlier_text(output: Path) -> None:
    """Remove the text files that the run journalled in `output` wrote, so that
    the folder holds only what the new run writes.

    Only what docpool itself wrote goes: files the built-in `text` processor
    names in its records (a processor of the user's may name any file), each
    only if it is a plain file where that processor puts that document's
    text, inside `output` once links are resolved. Folders this empties go
    too. A file that cannot be removed is a SetupError; the journal is then
    kept, so a later --overwrite still knows the rest.
    """
    try:
        if read_header(output).get("processor") != "text":
            return
    except JournalError:
        return
    root = output.resolve()
    try:
        for _, record in read_records_at(output):
            named = _named_text_file(record)
            if named is not None and isinstance(record.path, str):
                _remove_text_file(root, Path(named), text_output_path(output, record.path))
    except OSError as error:
        raise SetupError(f"cannot read the journal: {error.strerror or error}") from None


def _remove_text_file(root: Path, named: Path, expected: Path) -> None:
    target = _without_links(expected)
    if _without_links(named) != target or not target.is_relative_to(root):
        return
    try:
        if not stat.S_ISREG(os.lstat(target).st_mode):
            return
        os.unlink(target)
    except FileNotFoundError:
        return
    except OSError as error:
        shown = str(expected).replace("\n", "\\n")
        raise SetupError(
            f"cannot remove {shown}, a text file of the earlier run: {error.strerror or error}"
        ) from None
    folder = target.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _without_links(path: Path) -> Path:
    """`path` with every link among its folders resolved (not the file itself, if a link)."""
    return Path(os.path.realpath(path.parent)) / path.name


def _check_earlier_run(config: BatchConfig, output: Path, folder: Path) -> None:
    """Refuse to start over an earlier run unless told what to do with it, and
    resume only a run of the same folder with the same processor."""
    if journal_in_use(output):
        raise SetupError(f"{output} is in use by another docpool run that is still going")
    journal = journal_path(output)
    if config.resume:
        try:
            os.close(os.open(journal, os.O_WRONLY | os.O_APPEND))
        except OSError as error:
            raise SetupError(f"cannot write the journal {journal}: {error.strerror or error}") from None
        try:
            mismatch = resume_mismatch(output, folder, config.processor)
        except JournalError as error:
            raise SetupError(str(error)) from None
        if mismatch is not None and mismatch[0] == "folder":
            raise SetupError(f"{output} holds a run of {mismatch[1]!r}, not of {str(folder)!r}")
        if mismatch is not None:
            problem = f"{output} holds a run with processor {mismatch[1]!r}, not {config.processor!r}"
            raise SetupError(
                f"{problem}: resume with the same processor or use --overwrite",
                problem=problem, remedy="same_processor",
            )
    elif not config.overwrite:
        problem = f"{output} already holds a docpool run"
        raise SetupError(
            f"{problem}: use --resume to continue it or --overwrite to start again",
            problem=problem, remedy="resume_or_overwrite",
        )


def resume_mismatch(output: Path, folder: Path, processor: str) -> tuple[str, str] | None:
    """What keeps the run journalled in `output` from being resumed for `folder`
    (resolved) with `processor`: ("folder", its folder) or ("processor", its
    processor); None when nothing does. Raises JournalError for a journal that
    cannot be read."""
    if not has_header(output):
        return None  # killed before it recorded anything: resuming starts afresh
    header = read_header(output)
    if Path(header.get("folder", "")) != folder:
        return "folder", str(header.get("folder"))
    earlier = header.get("processor")
    if earlier and earlier != processor:
        return "processor", str(earlier)
    return None


OWN_LEFTOVERS = frozenset({STAGING_FOLDER, ".docpool-write-test"})


def _holds_other_files(output: Path) -> bool:
    """Whether `output` holds anything but what docpool leaves in a fresh folder."""
    with os.scandir(output) as entries:
        return any(entry.name not in OWN_LEFTOVERS for entry in entries)


def _make_writable_folder(folder: Path, probe_name: str) -> None:
    """Create `folder` if needed and prove a file can be written in it (OSError if not)."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / probe_name
    probe.write_bytes(b"")
    probe.unlink()


def _checked_report(config: BatchConfig, output: Path) -> Path | None:
    """The --report path made absolute, once its folder is known to be writable
    and it would replace nothing but an earlier docpool report."""
    if config.report is None:
        return None
    report = Path(os.path.expanduser(str(config.report))).absolute()
    if report.suffix.lower() != ".json":
        raise SetupError(
            f"--report must name a .json file: {report}",
            problem=f"the report must be a .json file: {report}", remedy="json_report",
        )
    try:
        _make_writable_folder(report.parent, f".{report.stem}.docpool-write-test")
    except OSError as error:
        raise SetupError(f"cannot write the report to {report.parent}: {error.strerror or error}") from None
    if report.parent != output and not config.overwrite:
        taken = [path for path in report_paths(report) if os.path.lexists(path)]
        if taken and not is_docpool_report(report):
            problem = f"{taken[0]} exists and is not a docpool report"
            raise SetupError(
                f"{problem}: choose another --report path, or --overwrite to replace it",
                problem=problem, remedy="another_report",
            )
    return report


def _checked(config: BatchConfig) -> BatchConfig:
    """Validate the configuration and prepare the output folder, or raise SetupError."""
    folder = Path(os.path.expanduser(str(config.folder)))
    if not folder.exists():
        raise SetupError(f"folder not found: {folder}")
    if not folder.is_dir():
        raise SetupError(f"not a folder: {folder}")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise SetupError(f"folder not readable: {folder}")
    if config.workers < 1:
        raise SetupError("workers must be at least 1")
    if config.timeout <= 0:
        raise SetupError("timeout must be more than 0 seconds")
    if config.retries < 0:
        raise SetupError("retries cannot be negative")
    if config.memory_limit is not None and config.memory_limit < 0:
        raise SetupError("memory limit cannot be negative")
    if config.memory_limit and config.memory_limit < SMALLEST_MEMORY_LIMIT:
        raise SetupError(
            f"memory limit must be at least {SMALLEST_MEMORY_LIMIT // 1024**2} MiB "
            "(a worker needs that much before it opens a document), or 0 for no cap"
        )
    if config.memory_limit and config.memory_limit > LARGEST_MEMORY_LIMIT:
        raise SetupError(
            f"memory limit too large: at most {LARGEST_MEMORY_LIMIT // 1024**2} MiB, or 0 for no cap"
        )
    if config.resume and config.overwrite:
        raise SetupError(
            "choose --resume or --overwrite, not both",
            problem="resume and overwrite cannot both be chosen", remedy="resume_xor_overwrite",
        )
    if config.processor not in BUILTIN_PROCESSORS:
        try:
            load_processor(config.processor, folder, Path(config.output))
        except ProcessorNotFound as error:
            raise SetupError(str(error)) from None
    output = Path(os.path.expanduser(str(config.output))).absolute()
    folder = folder.resolve()
    try:
        _make_writable_folder(output, ".docpool-write-test")
    except OSError as error:
        raise SetupError(f"cannot write to output folder {output}: {error.strerror or error}") from None
    report = _checked_report(config, output)
    journal = journal_path(output)
    if os.path.lexists(journal) and not journal.is_file():
        raise SetupError(f"{journal} is not a file: move it away or choose another output folder")
    if not journal_exists(output):
        if not config.overwrite and _holds_other_files(output):
            problem = f"{output} already holds other files"
            raise SetupError(
                f"{problem}: choose an empty or new output folder, "
                "or --overwrite to write into it anyway (files with the same names are replaced)",
                problem=problem, remedy="empty_output",
            )
        return replace(config, folder=folder, output=output, report=report)
    _check_earlier_run(config, output, folder)
    if config.overwrite:
        # Only now, with everything checked: a refused batch deletes nothing.
        _remove_earlier_text(output)
        try:
            journal.unlink()
        except OSError as error:
            raise SetupError(
                f"cannot remove the earlier run's journal: {error.strerror or error}"
            ) from None
    return replace(config, folder=folder, output=output, report=report)
