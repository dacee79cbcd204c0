"""A pool of worker processes that can lose a worker without losing the batch.

Why not `concurrent.futures.ProcessPoolExecutor`: one dead worker breaks the
whole pool (every pending future fails with BrokenProcessPool), a cancelled or
timed-out future keeps running, and its size is fixed. Why not pebble: it does
kill timed-out tasks and confine crashes, but its size is fixed too, it queues
tasks ahead of idle workers so the engine cannot tell when a document really
started (which the timeout and the ETA need), and a resize would mean a second
pool. So each worker here is a process with its own pipe that holds at most one
task: a task's start is known exactly, killing it kills only its process, a
death is seen on the process sentinel and reported as that task's outcome,
and resizing is starting or retiring processes.

The engine depends only on the `Executor` protocol, so another backend (a Dask
cluster, say) can stand in.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.worker import Outcome, Task, WorkerSettings, worker_main

JOIN_SECONDS = 2.0


class Executor(Protocol):
    """What the engine needs from a pool: start, wait for, and kill tasks."""

    def idle_slots(self) -> int:
        """How many more tasks may start now."""

    def submit(self, task: Task) -> None:
        """Start `task` on an idle worker. Only call when `idle_slots() > 0`."""

    def wait(self, timeout: float) -> list[Outcome]:
        """Outcomes of tasks that ended within `timeout` seconds (maybe none)."""

    def kill(self, task_id: int) -> None:
        """Stop a running task now; no outcome will be reported for it."""

    def resize(self, workers: int) -> None:
        """Run at most `workers` tasks at once from now on."""

    def worker_pids(self) -> list[int]:
        """Process ids of the live workers (for tests and diagnostics)."""

    def shutdown(self) -> None:
        """Stop every worker, killing any that are still busy."""


def prepare_process_start() -> None:
    """Start multiprocessing's helper processes while stdio are real files.

    Inside a Textual app `sys.stdout` has no file descriptor, and starting the
    forkserver then fails with "bad value(s) in fds_to_keep". Started early,
    the helper serves every later pool.
    """
    context = _context()
    if context.get_start_method() == "forkserver":
        _start_helpers()


def _start_helpers() -> None:
    """Start the forkserver and resource tracker deaf to hang-ups and SIGTERM.

    A dropped ssh connection sends SIGHUP to the whole job; a helper that died
    of it would take every worker with it before the controller could stop the
    batch in order. Ignored signals survive exec, so the helpers keep ignoring
    them; they still exit when the controller is gone (their pipe from it
    closes), and the workers re-enable SIGTERM for themselves.
    """
    from multiprocessing import forkserver, resource_tracker

    if threading.current_thread() is not threading.main_thread():
        resource_tracker.ensure_running()
        forkserver.ensure_running()
        return
    deaf = (signal.SIGHUP, signal.SIGTERM)
    saved = {signum: signal.signal(signum, signal.SIG_IGN) for signum in deaf}
    try:
        resource_tracker.ensure_running()
        forkserver.ensure_running()
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _context() -> multiprocessing.context.BaseContext:
    """Forkserver: children start from a clean single-threaded server, not from a
    controller that is running threads (Textual's, the discovery counter)."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["tui.worker", "pypdf"])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Worker:
    process: Any
    connection: Any
    task: Task | None = None
    retiring: bool = False


@dataclass
class ProcessPool:
    """Worker processes, each running one task at a time. Not thread-safe:
    the engine drives it from one thread."""

    settings: WorkerSettings
    workers: int
    _workers: list[_Worker] = field(default_factory=list)
    _context: Any = None

    def __post_init__(self) -> None:
        self._context = _context()
        if self._context.get_start_method() == "forkserver":
            _start_helpers()
        self.workers = max(1, self.workers)
        for _ in range(self.workers):
            self._workers.append(self._start_worker())

    def idle_slots(self) -> int:
        return max(0, self.workers - self._busy_count())

    def submit(self, task: Task) -> None:
        worker = next(
            (w for w in self._workers if w.task is None and not w.retiring), None
        )
        if worker is None:
            worker = self._start_worker()
            self._workers.append(worker)
        worker.task = task
        try:
            worker.connection.send(task)
        except (OSError, ValueError):
            pass  # the sentinel reports the death as this task's outcome

    def wait(self, timeout: float) -> list[Outcome]:
        busy = [w for w in self._workers if w.task is not None]
        if not busy:
            return []
        waitables: list[Any] = [w.connection for w in busy]
        waitables += [w.process.sentinel for w in busy]
        ready = set(multiprocessing.connection.wait(waitables, timeout))
        outcomes: list[Outcome] = []
        for worker in busy:
            if worker.connection in ready or worker.process.sentinel in ready:
                outcomes.append(self._collect(worker))
        return outcomes

    def kill(self, task_id: int) -> None:
        for worker in self._workers:
            if worker.task is not None and worker.task.task_id == task_id:
                self._stop(worker, force=True)
                self._workers.remove(worker)
                self._top_up()
                return

    def resize(self, workers: int) -> None:
        self.workers = max(1, workers)
        spare = len(self._workers) - self.workers
        for worker in [w for w in self._workers if w.task is None][: max(0, spare)]:
            self._stop(worker, force=False)
            self._workers.remove(worker)
        busy_over = len(self._workers) - self.workers
        for worker in self._workers:
            worker.retiring = False
        for worker in [w for w in self._workers if w.task is not None][: max(0, busy_over)]:
            worker.retiring = True
        self._top_up()

    def worker_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def shutdown(self) -> None:
        for worker in self._workers:
            self._stop(worker, force=worker.task is not None)
        self._workers.clear()

    def _collect(self, worker: _Worker) -> Outcome:
        task = worker.task
        assert task is not None
        worker.task = None
        outcome: Outcome | None = None
        try:
            if worker.connection.poll():
                outcome = worker.connection.recv()
        except (EOFError, OSError):
            outcome = None
        if outcome is None:
            outcome = _death_outcome(task, worker.process)
            self._stop(worker, force=True)
            self._workers.remove(worker)
            self._top_up()
        elif worker.retiring:
            self._stop(worker, force=False)
            self._workers.remove(worker)
        return outcome

    def _busy_count(self) -> int:
        return sum(1 for w in self._workers if w.task is not None)

    def _top_up(self) -> None:
        while len(self._workers) < self.workers:
            self._workers.append(self._start_worker())

    def _start_worker(self) -> _Worker:
        ours, theirs = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=worker_main, args=(theirs, self.settings), daemon=True,
            name="docpool-worker",
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def _stop(self, worker: _Worker, force: bool) -> None:
        process = worker.process
        if force:
            _kill(process)
        else:
            try:
                worker.connection.send(None)
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
