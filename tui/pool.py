"""A pool of worker processes that can lose a worker without losing the batch.

Why not `concurrent.futures.ProcessPoolExecutor`: one dead worker breaks the
whole pool (every pending future fails with BrokenProcessPool), a cancelled or
timed-out future keeps running, and its size is fixed. Why not pebble: it does
kill timed-out tasks and confine crashes, but its size is fixed too, its tasks
wait in one shared queue so the engine cannot tell which worker took a document
or when it really started (the timeout, the in-flight list and the ETA need
that), and a resize would mean a second pool. So each worker here is a process with its own pipe: killing a task kills
only its process, a death is seen on the process sentinel and reported as that
task's outcome, and resizing is starting or retiring processes.

Workers start when a task needs one, not up front, because `-w 300` on a folder
of three documents would otherwise start 300 processes that never do any work.

Each worker's pipe holds its next task as well as the running one, so it never
waits for the controller between two documents (the benchmark showed a 12%
idle gap on small documents without this). The next task starts the moment the
previous outcome is sent, so the pool knows its start time when that outcome
arrives and reports it as `Started`; a task queued behind one that is killed
or crashes is handed to another worker, never blamed, and one queued behind a
document that runs long moves to a worker that falls idle (the worker it
leaves is told to skip it), so the end of a batch does not wait for it.

For quick documents a worker holds more, 30 ms of them, and the controller
naps up to 10 ms (a third of that) before it reads their outcomes: they are
read a few at a time instead of waking the controller, which takes a core
from a worker, once per document (5% of the time of 5,000 one-page PDFs, and
half the controller's CPU). A start is then known up to 10 ms late. A
worker's messages are all read before its death is blamed on the task it was
running, so a nap blames no one else. A long document found at the head of
such a queue keeps one follower; the others move to workers whose own task
is young, or the ETA would count them after it, and the end of the batch wait
for them.

The engine depends only on the `Executor` protocol, so another backend (a Dask
cluster, say) can stand in.
"""

from __future__ import annotations

import math
import os
import select
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.pipe_reader import PipeReader
from tui.process_start import prepare_process_start
from tui.worker import (
    Held, Outcome, PageProgress, Release, Released, Task, WorkerSettings, send_message,
    worker_main,
)

JOIN_SECONDS = 2.0
TASKS_PER_WORKER = 2
"""The running task and the one queued behind it: the least a worker holds."""
MAX_TASKS_PER_WORKER = 16
QUEUED_SECONDS = 0.03
"""Quick documents are queued this many seconds deep on each worker (by the
average task's time), so that none runs dry while the controller naps."""
NAP_SECONDS = 0.01
"""With quick documents queued deep, the controller sleeps at most this long
before it reads outcomes, which gather in the pipes meanwhile."""
MOVE_AFTER_SECONDS = 0.25
"""A task queued behind one that has run this long moves to a worker that has
nothing to do. Behind a short one it would start sooner where it is."""


@dataclass(frozen=True)
class Started:
    """A task that was queued behind another has started now."""

    task_id: int


class Executor(Protocol):
    """What the engine needs from a pool: start, wait for, and kill tasks."""

    def idle_slots(self) -> int:
        """How many more tasks may be submitted now."""

    def submit(self, task: Task) -> bool:
        """Hand `task` to a worker; True if it started at once, False if it is
        queued (a `Started` notice follows). Only call when `idle_slots() > 0`."""

    def wait(self, timeout: float) -> list[Outcome | Started | PageProgress | Held]:
        """Tasks that ended, started or made progress within `timeout` seconds."""

    def kill(self, task_id: int) -> None:
        """Stop a running task now; no outcome will be reported for it."""

    def hold(self, held: bool) -> None:
        """While held, no task starts, not even one already handed to a worker."""

    def resize(self, workers: int) -> None:
        """Run at most `workers` tasks at once from now on."""

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""

    def queued_behind(self) -> dict[int, list[int]]:
        """For each running task with tasks queued behind it on its worker, their ids:
        they start when it ends, or move to another worker."""

    def shutdown(self) -> None:
        """Stop every worker, killing any that are still busy."""


@dataclass(eq=False)
class _Worker:
    process: Any
    connection: Any
    reader: PipeReader
    tasks: list[Task] = field(default_factory=list)
    """The running task first, then those queued behind it."""
    head_started: float = 0.0
    """When its first task started (time.monotonic)."""
    moved: set[int] = field(default_factory=set)
    """Tasks taken from its queue for another worker, until it answers for
    each (skipped, or run to the end if it had started before it was told)."""
    retiring: bool = False
    held_head: bool = False
    """Its first task came up while the pool was held, so it has not started."""

    def load(self) -> int:
        return len(self.tasks) + len(self.moved)


@dataclass
class ProcessPool:
    """Up to `workers` worker processes, each running one task at a time with
    one or more queued. A worker starts when a task finds none free, so its
    capacity counts in `idle_slots()` before it exists. Not thread-safe: the
    engine drives it from one thread."""

    settings: WorkerSettings
    workers: int
    _workers: list[_Worker] = field(default_factory=list)
    _context: Any = None
    _notices: list[Started] = field(default_factory=list)
    _hold: Any = None
    _poller: Any = None
    """One poll set for every worker's pipe and process sentinel, kept as
    workers come and go: building a new one per wait cost the controller
    more CPU per document than anything else it does."""
    _by_fd: dict[int, _Worker] = field(default_factory=dict)
    _seconds_per_task: float | None = None
    """A moving average of the tasks' own times."""
    tasks_per_worker: int = field(default=TASKS_PER_WORKER, init=False)
    """How many tasks a worker holds, the running one included (see `_learn`)."""

    def __post_init__(self) -> None:
        self._poller = select.poll()
        self._context = prepare_process_start()
        self._hold = self._context.RawValue("b", 0)
        self.workers = max(1, self.workers)

    def idle_slots(self) -> int:
        active = self._active()
        unstarted = max(0, self.workers - len(active))
        depth = self.tasks_per_worker
        return sum(max(0, depth - w.load()) for w in active) + depth * unstarted

    def submit(self, task: Task) -> bool:
        worker = self._worker_for_next_task()
        _give(worker, task)
        if len(worker.tasks) == 1 and self._hold.value:
            worker.held_head = True
            return False
        return len(worker.tasks) == 1

    def wait(self, timeout: float) -> list[Outcome | Started | PageProgress | Held]:
        events: list[Outcome | Started | PageProgress | Held] = list(self._notices)
        self._notices.clear()
        nap = min(self._nap_seconds(), timeout)
        if nap > 0 and not events:
            time.sleep(nap)
            timeout -= nap  # nothing gathered (paused, say): wait as before, not nap on
        milliseconds = 0 if events else max(0, math.ceil(timeout * 1000))
        for worker, (readable, died) in self._ready(milliseconds).items():
            if worker in self._workers:
                events += self._collect(worker, readable, died)
        self._move_queued_tasks()
        events += self._notices
        self._notices.clear()
        return events

    def kill(self, task_id: int) -> None:
        for worker in self._workers:
            if worker.tasks and worker.tasks[0].task_id == task_id:
                self._replace(worker, worker.tasks[1:])
                return

    def hold(self, held: bool) -> None:
        self._hold.value = 1 if held else 0
        if held:
            return
        for worker in self._workers:
            if worker.held_head and worker.tasks:
                worker.head_started = time.monotonic()
                self._notices.append(Started(worker.tasks[0].task_id))
            worker.held_head = False

    def resize(self, workers: int) -> None:
        self.workers = max(1, workers)
        for worker in self._workers:
            worker.retiring = False
        spare = len(self._workers) - self.workers
        for worker in [w for w in self._workers if not w.load()][: max(0, spare)]:
            self._stop(worker, force=False)
            self._workers.remove(worker)
        over = len(self._workers) - self.workers
        for worker in sorted(self._workers, key=_Worker.load)[: max(0, over)]:
            worker.retiring = True

    def worker_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def queued_behind(self) -> dict[int, list[int]]:
        return {
            w.tasks[0].task_id: [task.task_id for task in w.tasks[1:]]
            for w in self._workers
            if len(w.tasks) > 1
        }

    def shutdown(self) -> None:
        for worker in self._workers:
            self._stop(worker, force=bool(worker.tasks))
        self._workers.clear()

    def _active(self) -> list[_Worker]:
        return [w for w in self._workers if not w.retiring]

    def _worker_for_next_task(self) -> _Worker:
        """A worker with nothing to do; else a new one, while fewer than `workers`
        run; else the least loaded. A new worker beats a queue, so the task
        starts now instead of behind another document."""
        active = self._active()
        for worker in active:
            if not worker.load():
                return worker
        if len(active) < self.workers:
            worker = self._start_worker()
            self._workers.append(worker)
            return worker
        return min(active, key=_Worker.load)

    def _ready(self, milliseconds: int) -> dict[_Worker, tuple[bool, bool]]:
        """The workers with a message waiting or that died: (readable, died)."""
        ready: dict[_Worker, tuple[bool, bool]] = {}
        for fd, _ in self._poller.poll(milliseconds):
            worker = self._by_fd.get(fd)
            if worker is not None:
                readable, died = ready.get(worker, (False, False))
                if fd == worker.process.sentinel:
                    ready[worker] = (readable, True)
                else:
                    ready[worker] = (True, died)
        return ready

    def _nap_seconds(self) -> float:
        """How long outcomes may gather before they are read: a third of the
        work queued on a worker, at most NAP_SECONDS. No nap under a
        millisecond: with a processor that does next to nothing, it would only
        leave the workers idle."""
        average = self._seconds_per_task
        if self.tasks_per_worker <= TASKS_PER_WORKER or average is None:
            return 0.0
        nap = min(NAP_SECONDS, self.tasks_per_worker * average / 3)
        return nap if nap >= 0.001 else 0.0

    def _move_queued_tasks(self) -> None:
        """Move tasks queued behind a long-running one, so that they do not
        wait for a document that may take minutes: one to each worker with
        nothing to do (at the end of a batch, with the other workers idle),
        and from a queue of quick documents all but the first follower, to
        the workers whose own task is young (started under
        MOVE_AFTER_SECONDS ago).

        Its first worker is told to skip each; until it answers, that worker
        takes no other task, so nothing queues behind a task it may have
        started."""
        if self._hold.value:
            return
        now = time.monotonic()
        idle = [w for w in self._active() if not w.load()]
        for donor in self._workers:
            if len(donor.tasks) < 2 or now - donor.head_started < MOVE_AFTER_SECONDS:
                continue
            if idle:
                self._move_last_task(donor, idle.pop())
            moving = [
                w for w in self._active()
                if w is not donor and w.tasks and now - w.head_started < MOVE_AFTER_SECONDS
            ]
            while moving and len(donor.tasks) > TASKS_PER_WORKER:
                self._move_last_task(donor, min(moving, key=_Worker.load))

    def _move_last_task(self, donor: _Worker, taker: _Worker) -> None:
        task = donor.tasks.pop()
        donor.moved.add(task.task_id)
        try:
            send_message(donor.connection, Release(task.task_id))
        except (OSError, ValueError):
            pass  # a dead donor's queued tasks are no longer its own
        _give(taker, task)
        if len(taker.tasks) == 1:
            self._notices.append(Started(task.task_id))

    def _collect(
        self, worker: _Worker, readable: bool, died: bool
    ) -> list[Outcome | Started | PageProgress | Held]:
        """The messages waiting on the worker's pipe, or its death as the running task's.

        When `readable`, one read takes every message the pipe holds. When
        `died` (its sentinel is ready), everything it sent is read before its
        death is blamed on the task it was running; an idle worker that died
        is replaced, blaming nobody."""
        events: list[Outcome | Started | PageProgress | Held] = []
        messages = []
        try:
            if readable:
                messages += worker.reader.read()
            while died and worker.connection.poll():
                messages += worker.reader.read()
        except (EOFError, OSError):
            died = True
        for message in messages:
            if message.task_id in worker.moved:
                if isinstance(message, (Released, Outcome)):
                    worker.moved.discard(message.task_id)
                continue  # it runs on another worker now
            if not worker.tasks or isinstance(message, Released):
                continue
            if isinstance(message, PageProgress):
                events.append(message)
                continue
            if isinstance(message, Held):
                if self._hold.value and message.task_id == worker.tasks[0].task_id:
                    worker.held_head = True  # `Started` again when the hold is lifted
                    events.append(message)
                continue
            worker.tasks.pop(0)
            events.append(message)
            if isinstance(message, Outcome):
                self._learn(message.seconds)
            if isinstance(message, Outcome) and message.worker_exits:
                self._replace(worker)
                return events
            if worker.tasks:
                worker.head_started = time.monotonic()
                if self._hold.value:
                    worker.held_head = True
                else:
                    events.append(Started(worker.tasks[0].task_id))
        if died and not worker.process.is_alive():
            if worker.tasks:
                events.append(_death_outcome(worker.tasks[0], worker.process))
            self._replace(worker, worker.tasks[1:])
        elif worker.retiring and not worker.load():
            self._stop(worker, force=False)
            self._workers.remove(worker)
        return events

    def _learn(self, seconds: float) -> None:
        """Queue QUEUED_SECONDS of tasks on each worker, by the average task.

        One slow task pulls the average up at once (a tenth of its time), so
        documents that turn slow go back to two per worker within a task or
        two. The quick ones already queued behind a long one move to other
        workers (`_move_queued_tasks`).
        """
        average = self._seconds_per_task
        average = seconds if average is None else 0.9 * average + 0.1 * seconds
        self._seconds_per_task = average
        depth = math.ceil(QUEUED_SECONDS / average) if average > 0 else MAX_TASKS_PER_WORKER
        self.tasks_per_worker = max(TASKS_PER_WORKER, min(MAX_TASKS_PER_WORKER, depth))

    def _replace(self, worker: _Worker, orphans: list[Task] | None = None) -> None:
        """Stop `worker` and hand its queued tasks on; the next task that finds
        no free worker (an orphan, or the engine's next) starts its replacement."""
        self._stop(worker, force=True)
        self._workers.remove(worker)
        self._hand_over(worker.tasks if orphans is None else orphans)

    def _hand_over(self, orphans: list[Task]) -> None:
        """Queued tasks of a worker that is gone go to another; none is lost."""
        for task in orphans:
            if self.submit(task):
                self._notices.append(Started(task.task_id))

    def _start_worker(self) -> _Worker:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, args=(theirs, self.settings, self._hold), daemon=True,
            name="docpool-worker",
        )
        process.start()
        theirs.close()
        worker = _Worker(process, ours, PipeReader(ours.fileno()))
        for fd in (ours.fileno(), process.sentinel):
            self._poller.register(fd, select.POLLIN)
            self._by_fd[fd] = worker
        return worker

    def _stop(self, worker: _Worker, force: bool) -> None:
        process = worker.process
        for fd in (worker.connection.fileno(), process.sentinel):
            if self._by_fd.pop(fd, None) is not None:
                self._poller.unregister(fd)
        if force:
            _kill(process)
        else:
            try:
                send_message(worker.connection, None)
            except (OSError, ValueError):
                _kill(process)
        process.join(JOIN_SECONDS)
        if process.is_alive():
            _kill(process)
            process.join(JOIN_SECONDS)
        worker.connection.close()
        try:
            process.close()
        except ValueError:
            pass


def _give(worker: _Worker, task: Task) -> None:
    """Queue `task` on `worker` and send it; it starts now if the worker had none."""
    worker.tasks.append(task)
    try:
        send_message(worker.connection, task)
    except (OSError, ValueError):
        pass  # the sentinel reports the death as this task's outcome
    if len(worker.tasks) == 1:
        worker.head_started = time.monotonic()


def _kill(process: Any) -> None:
    try:
        os.kill(process.pid, signal.SIGKILL)
    except (ProcessLookupError, TypeError):
        pass


def _death_outcome(task: Task, process: Any) -> Outcome:
    process.join(JOIN_SECONDS)
    code = process.exitcode
    if code is not None and code < 0:
        number = -code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        message = f"worker process died ({name})"
        if number == signal.SIGKILL:
            message += ", possibly killed by the out-of-memory killer"
    else:
        message = f"worker process exited unexpectedly (exit code {code})"
    return Outcome(task.task_id, False, {}, "crashed", message)


def live_processes(pids: Sequence[int]) -> list[int]:
    """Which of `pids` still exist (a zombie counts as gone)."""
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                state = stat.read().rpartition(")")[2].split()[0]
            if state != "Z":
                alive.append(pid)
        except OSError:
            continue
    return alive
