"""The worker process: one document at a time, quietly, within its limits.

This module runs in the child. It silences the child's output (a broken PDF
can make pypdf warn ten thousand times, and a user's processor may print), caps
its memory so a blow-up becomes that document's error, and exits by itself
when the controller disappears, so a `kill -9` of the controller leaves no
worker burning CPU.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tui import processors
from tui.pipe_reader import PipeReader
from tui.processors import (
    EmptyFile,
    PageSizes,
    PasswordRequired,
    ProcessorNotFound,
    load_processor,
)

CONTROLLER_CHECK_SECONDS = 1.0
MESSAGE_LIMIT = 2000


def send_message(connection: Any, message: Any) -> None:
    """`connection.send(message)`, by the shortest path: plain `pickle`.

    `Connection.send` builds a `ForkingPickler` per message (a Python class
    that copies the copyreg table), for reducers our messages never need.
    In a worker, between two documents whose processing has evicted it from
    the caches, that cost 24 µs a message against 17 µs this way
    (BENCHMARKS.md, thirteenth round). `Connection.recv` reads either.
    """
    connection.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker of a batch needs to know. Picklable."""

    processor: str
    folder: str
    output: str
    memory_limit: int | None
    controller_pid: int


@dataclass(frozen=True)
class Task:
    task_id: int
    path: str


@dataclass(frozen=True)
class PageProgress:
    """How far the running task has got through its document's pages."""

    task_id: int
    done: int
    total: int
    seconds_left: float
    """The pages still to do at the pace since the first page was done: the
    time to open and parse the file, and the first page, do not skew it."""


@dataclass(frozen=True)
class Held:
    """The task reached the worker after the batch was paused: it waits.

    The controller counts a task as started the moment the worker before it
    ends (or it is handed to an idle worker); a pause in between is only seen
    here, so the worker says so, or a paused batch would show, and time out,
    a document that is not running."""

    task_id: int


@dataclass(frozen=True)
class Release:
    """The controller gave this queued task to an idle worker: skip it unless
    it has already started. Answered by `Released`, or by the task's outcome
    when it had (the controller then drops that outcome)."""

    task_id: int


@dataclass(frozen=True)
class Released:
    """The queued task was skipped, as the controller asked."""

    task_id: int


PROGRESS_SECONDS = 0.1
"""At most this often a running task reports its pages: ten small messages a
second from a long document, none from a one-page one. Near a long document's
end its report is the batch's ETA, counted down between reports, so a report
0.5 s old kept counting down at a pace the last pages had already left
(BENCHMARKS.md, eleventh round)."""


@dataclass(frozen=True)
class Outcome:
    """What happened to one task, in the worker or to the worker."""

    task_id: int
    ok: bool
    data: dict[str, Any]
    error: str = ""
    message: str = ""
    seconds: float = 0.0
    worker_exits: bool = False
    """The worker leaves after this outcome (it hit its memory cap: what the
    processor holds on to would fail every later document too), so a task
    queued behind this one must go to another worker."""
    first: bool = False
    """The worker's first document: its time includes warming the worker up
    (the imports and caches of a first call), which later documents do not pay."""


HOLD_POLL_SECONDS = 0.05


def worker_main(connection: Any, settings: WorkerSettings, hold: Any = None) -> None:
    """Serve tasks from `connection` until told to stop or the controller is gone.

    `hold` is a shared flag the controller raises to pause the batch: a task
    already queued in the pipe then waits instead of starting. A task followed
    in the pipe by a `Release` of it has gone to another worker: it is skipped.
    """
    _silence_output()
    _ignore_terminal_signals()
    _watch_controller(settings.controller_pid)
    if settings.memory_limit:
        _cap_memory(settings.memory_limit)
    try:
        processor = load_processor(
            settings.processor, Path(settings.folder), Path(settings.output)
        )
    except ProcessorNotFound as error:
        processor = None
        setup_error = str(error)
    inbox: deque[Task | Release | None] = deque()
    # The controller queues several tasks at once: one read takes them all.
    reader = PipeReader(connection.fileno())
    # Whether more has come down the pipe. `Connection.poll` builds a selector
    # per call: 18 µs a document in a worker (BENCHMARKS.md, thirteenth round).
    # A closed pipe polls ready too, and its read raises EOFError.
    waiting = select.poll()
    waiting.register(connection.fileno(), select.POLLIN)
    first = True
    while True:
        try:
            while not inbox:
                inbox.extend(reader.read())  # waits for the controller
            task = inbox.popleft()
            if isinstance(task, Task):
                while waiting.poll(0):  # a Release for it may be waiting behind it
                    inbox.extend(reader.read())
        except (EOFError, OSError):
            return
        if task is None:
            return
        if isinstance(task, Release):
            continue  # its task had already run: its outcome answered
        release = Release(task.task_id)
        if release in inbox:
            inbox.remove(release)
            try:
                send_message(connection, Released(task.task_id))
            except (OSError, ValueError):
                return
            continue
        if hold is not None and hold.value:
            try:
                send_message(connection, Held(task.task_id))
            except (OSError, ValueError):
                return
            while hold.value:
                time.sleep(HOLD_POLL_SECONDS)
        if processor is None:
            outcome = Outcome(task.task_id, False, {}, "ProcessorNotFound", setup_error)
        else:
            processors.page_progress = progress_reporter(connection, task.task_id)
            outcome = run_task(processor, task)
            if first:
                outcome, first = replace(outcome, first=True), False
        if outcome.error == "memory":
            outcome = replace(outcome, worker_exits=True)
        try:
            send_message(connection, outcome)
        except (OSError, ValueError):
            return
        if outcome.worker_exits:
            return


def progress_reporter(
    connection: Any, task_id: int, clock: Any = time.monotonic
) -> Any:
    """A page-progress callback that sends at most one PageProgress per PROGRESS_SECONDS.

    The time left is the mean of two paces since page one: per page, and per
    byte of the pages' content (when the processor can weigh its pages). Pages
    are unequal, and neither pace alone tells by how much. Replayed on real
    documents (benchmarks/page_pace.py, fourteenth round), the mean is off
    by 5% / 13% (median / p90) on GeoTopo (117 pages) against 16% / 29% for
    the pace per page, by 9% / 20% against 31% / 46% on GeoBase (19 pages),
    and by 13% / 17% and 25% / 56% against 21% / 39% and 45% / 71% on two
    documents outside the corpus.
    """
    last = clock()
    first: tuple[float, int] | None = None
    ends: list[int] | None = None
    """Content bytes up to the end of each page, once weighed."""
    weighed = False

    def report(done: int, total: int, weigh: PageSizes | None = None) -> None:
        nonlocal last, first, ends, weighed
        now = clock()
        if first is None:
            first, last = (now, done), now
            return
        if now - last >= PROGRESS_SECONDS and first[1] < done < total and now > first[0]:
            if weigh is not None and not weighed:
                weighed = True
                ends = _page_ends(weigh, total)
                weighed_at = clock()
                first = (first[0] + weighed_at - now, first[1])  # not the pages' pace
                now = weighed_at
            last = now
            elapsed = now - first[0]
            left = elapsed / (done - first[1]) * (total - done)
            if ends is not None and ends[done] > ends[first[1]]:
                left_by_bytes = elapsed / (ends[done] - ends[first[1]]) * (ends[total] - ends[done])
                left = (left + left_by_bytes) / 2
            try:
                send_message(connection, PageProgress(task_id, done, total, left))
            except (OSError, ValueError):
                pass

    return report


def _page_ends(weigh: PageSizes, total: int) -> list[int] | None:
    """[0, bytes of page 1, of pages 1-2, ...]; None unless there is a size per page."""
    try:
        sizes = weigh()
    except Exception:  # noqa: BLE001 - the ETA must never fail the document
        return None
    if sizes is None or len(sizes) != total:
        return None
    return [0, *itertools.accumulate(sizes)]


def run_task(processor: Any, task: Task) -> Outcome:
    """Run the processor on one document and turn anything it raises into an Outcome."""
    started = time.perf_counter()
    try:
        data = processor(Path(task.path))
        if data is None:
            data = {}
        data = _as_record_data(data)
        return Outcome(task.task_id, True, data, seconds=time.perf_counter() - started)
    except MemoryError:
        return Outcome(
            task.task_id, False, {}, "memory", "memory limit reached",
            time.perf_counter() - started,
        )
    except PasswordRequired:
        return Outcome(
            task.task_id, False, {}, "encrypted", "encrypted: password required",
            time.perf_counter() - started,
        )
    except EmptyFile as error:
        return Outcome(
            task.task_id, False, {}, "EmptyFile", str(error), time.perf_counter() - started
        )
    except BaseException as error:  # noqa: BLE001 - any failure belongs to this document
        return Outcome(
            task.task_id, False, {}, type(error).__name__, _describe(error),
            time.perf_counter() - started,
        )


_encode_strictly = json.JSONEncoder(allow_nan=False).encode
"""One encoder for every result: `json.dumps` with options builds a new one per call."""


class BadResult(Exception):
    """The processor returned something a record cannot hold."""


_JSON_SCALARS = frozenset({str, int, bool, type(None)})
"""Types that come back from JSON as they went in (floats too, when finite)."""


def _as_record_data(data: Any) -> dict[str, Any]:
    """The processor's dict as plain JSON data, or BadResult saying what is wrong.

    A round trip through JSON turns subclasses and tuples into what the
    journal will hold anyway, and refuses NaN and infinities, which are not
    JSON and would make the journal unreadable to strict parsers. A flat dict
    of JSON's own scalars (the built-in processors' records) would come back
    unchanged, so it is copied instead (about 1% of the time of 5,000
    one-page PDFs, BENCHMARKS.md, twelfth round).
    """
    if not isinstance(data, dict):
        raise BadResult(f"processor returned {type(data).__name__}, not a dict")
    if _is_flat_json(data):
        plain = dict(data)
    else:
        try:
            plain = json.loads(_encode_strictly(data))
        except (TypeError, ValueError, RecursionError) as error:
            raise BadResult(f"processor returned data that is not JSON: {error}") from None
    pages = plain.get("pages", 0)
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 0:
        raise BadResult(f"processor returned pages={pages!r}: not a whole number of at least 0")
    return plain


def _is_flat_json(data: dict[Any, Any]) -> bool:
    """Whether every key is a str and every value a str, int, bool, None or
    finite float, exactly those types (a subclass may encode differently)."""
    for key, value in data.items():
        if type(key) is not str:
            return False
        kind = type(value)
        if kind not in _JSON_SCALARS and not (kind is float and math.isfinite(value)):
            return False
    return True


def _describe(error: BaseException) -> str:
    try:
        text = " ".join(str(error).split())
    except BaseException:  # noqa: BLE001 - a processor's exception may fail to print itself
        text = f"{type(error).__name__} (its message could not be read)"
    text = text or type(error).__name__
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _silence_output() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for descriptor in (1, 2):
        try:
            os.dup2(devnull, descriptor)
        except OSError:
            pass
    os.close(devnull)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    sys.stderr = sys.stdout
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)


def _ignore_terminal_signals() -> None:
    """Ctrl+C and a hang-up reach the whole process group; the controller decides.

    SIGTERM keeps its default (the forkserver may hand it down ignored): a
    user may `kill` one stuck worker, and that document then fails alone.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _watch_controller(controller_pid: int) -> None:
    """Exit when the controller is gone, even if it was killed with SIGKILL.

    Under the forkserver the parent is the forkserver, which exits when the
    controller dies: the kernel then kills this process at once (Linux
    PR_SET_PDEATHSIG). A thread checks too, once a second, for where that is
    not available and in case the controller lingers as a zombie.
    """
    parent = os.getppid()
    if parent != controller_pid:
        _die_with_parent()
        if os.getppid() != parent:
            os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(CONTROLLER_CHECK_SECONDS)
            if os.getppid() != parent or not _alive(controller_pid):
                os._exit(0)

    threading.Thread(target=watch, name="docpool-controller-watch", daemon=True).start()


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _cap_memory(limit: int) -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError, OverflowError):
        pass
