"""The pool's messages from a running document, with a real worker process."""

from __future__ import annotations

import os
import pickle
import signal
import time

import pytest

from pdfs import make_pdf
from tui.pool import MAX_TASKS_PER_WORKER, TASKS_PER_WORKER, ProcessPool, Started
from tui.worker import (
    PROGRESS_SECONDS, Held, Outcome, PageProgress, Task, WorkerSettings, progress_reporter,
)


def outcomes_of(pool: ProcessPool, count: int, seconds: float = 20) -> list[Outcome]:
    """Wait for `count` outcomes (only), failing after `seconds`."""
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + seconds
    while len(outcomes) < count:
        assert time.monotonic() < deadline, f"{len(outcomes)} of {count} outcomes arrived"
        outcomes += [e for e in pool.wait(0.2) if isinstance(e, Outcome)]
    return outcomes


def by_name_pool(tmp_path, names: tuple[str, ...], workers: int):
    """A pool running `faulty:by_name`, and one PDF per name (which says how it behaves)."""
    folder, output = tmp_path / "in", tmp_path / "out"
    pdfs = [make_pdf(folder / f"{name}.pdf") for name in names]
    settings = WorkerSettings("faulty:by_name", str(folder), str(output), None, os.getpid())
    return ProcessPool(settings, workers), pdfs


class Recorder:
    """The sending half of a Connection: keeps each message as `recv` would return it."""

    def __init__(self):
        self.sent = []

    def send_bytes(self, data):
        self.sent.append(pickle.loads(data))


def test_page_progress_is_sent_at_most_every_progress_seconds_with_the_pace_since_page_one():
    step = 0.4 * PROGRESS_SECONDS
    times = iter([0.0, 2.0] + [2.0 + step * page for page in range(1, 7)])
    connection = Recorder()
    report = progress_reporter(connection, 7, clock=lambda: next(times))
    for done in range(1, 8):
        report(done, 10)
    # Page 1 took 2 s (opening the file); from there `step` a page. Pages 2-3
    # come sooner than PROGRESS_SECONDS after page 1, page 4 does not.
    assert connection.sent == [
        PageProgress(7, 4, 10, pytest.approx(6 * step)),
        PageProgress(7, 7, 10, pytest.approx(3 * step)),
    ]


def test_page_progress_weighs_the_pages_once_and_mixes_both_paces():
    # Pages 5-10 hold four times the content of pages 1-4.
    sizes = [100] * 4 + [400] * 6
    weighed = []

    def weigh():
        weighed.append(True)
        return sizes

    # The weighing itself takes 1.5 steps: it is not the pages' pace.
    step = 0.4 * PROGRESS_SECONDS
    times = iter([0.0, 2.0, 2.0 + step, 2.0 + 2 * step, 2.0 + 3 * step, 2.0 + 4.5 * step, 2.0 + 7.5 * step])
    connection = Recorder()
    report = progress_reporter(connection, 7, clock=lambda: next(times))
    for done in range(1, 6):
        report(done, 10, weigh)
    # At page 4: 3 steps for pages 2-4, so a step a page (6 steps for 6 pages)
    # and 3/300 steps a byte (24 steps for 2,400 bytes): the mean is 15 steps.
    # At page 5: 6 steps (7.5 less the weighing's 1.5) for pages 2-5: 7.5 steps
    # by pages, 6/700*2000 by bytes.
    assert connection.sent == [
        PageProgress(7, 4, 10, pytest.approx(15 * step)),
        PageProgress(7, 5, 10, pytest.approx((7.5 + 6 / 700 * 2000) / 2 * step)),
    ]
    assert len(weighed) == 1


def _weighing_that_fails():
    raise RuntimeError("cannot weigh")


@pytest.mark.parametrize(
    "weigh", [lambda: None, lambda: [100] * 9, lambda: [0] * 10, _weighing_that_fails]
)
def test_page_progress_without_usable_weights_keeps_the_pace_per_page(weigh):
    step = 0.4 * PROGRESS_SECONDS
    times = iter([0.0, 2.0, 2.0 + step, 2.0 + 2 * step, 2.0 + 3 * step, 2.0 + 3 * step])
    connection = Recorder()
    report = progress_reporter(connection, 7, clock=lambda: next(times))
    for done in range(1, 5):
        report(done, 10, weigh)
    assert connection.sent == [PageProgress(7, 4, 10, pytest.approx(6 * step))]


def test_the_pool_says_which_tasks_wait_behind_which(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    pdfs = [make_pdf(folder / f"{i}.pdf", pages=1) for i in range(3)]
    settings = WorkerSettings("faulty:slow", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 2)
    try:
        for task_id, pdf in enumerate(pdfs, start=1):
            pool.submit(Task(task_id, str(pdf)))
        # Two workers run 1 and 2; 3 waits behind one of them.
        behind = pool.queued_behind()
        assert list(behind.values()) == [[3]] and next(iter(behind)) in (1, 2)
    finally:
        pool.shutdown()


def test_a_long_document_reports_its_pages_before_its_outcome(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    # About 0.5 s of extraction on a fast core: well past PROGRESS_SECONDS.
    long_pdf = make_pdf(folder / "long.pdf", pages=1000)
    settings = WorkerSettings("text", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 1)
    try:
        assert pool.submit(Task(1, str(long_pdf)))
        events = []
        while not any(isinstance(event, Outcome) for event in events):
            events += pool.wait(1.0)
    finally:
        pool.shutdown()
    progress = [event for event in events if isinstance(event, PageProgress)]
    assert progress, "a 1,000-page extraction runs longer than PROGRESS_SECONDS"
    assert all(event.task_id == 1 and 0 < event.done < event.total == 1000 for event in progress)
    assert isinstance(events[-1], Outcome) and events[-1].ok


def test_each_workers_first_outcome_says_so_and_a_replacement_starts_afresh(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    names = ["a", "b", "exit", "c", "d"]
    pdfs = {name: make_pdf(folder / f"{name}.pdf", pages=1) for name in names}
    settings = WorkerSettings("faulty:by_name", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 1)
    outcomes = []
    try:
        for batch in (["a", "b"], ["exit"], ["c", "d"]):
            for name in batch:
                pool.submit(Task(names.index(name), str(pdfs[name])))
            outcomes += outcomes_of(pool, len(batch))
    finally:
        pool.shutdown()
    firsts = {names[outcome.task_id]: outcome.first for outcome in outcomes}
    # The worker that ran a and b died on exit; c was its replacement's first.
    assert firsts == {"a": True, "b": False, "exit": False, "c": True, "d": False}


def test_a_worker_that_dies_while_idle_is_replaced_and_blames_no_document(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    pdfs = [make_pdf(folder / f"{i}.pdf", pages=1) for i in range(2)]
    settings = WorkerSettings("text", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 2)
    try:
        for task_id, pdf in enumerate(pdfs, start=1):
            pool.submit(Task(task_id, str(pdf)))
        outcomes_of(pool, 2)
        first, second = pool.worker_pids()
        os.kill(second, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while second in pool.worker_pids() and time.monotonic() < deadline:
            pool.wait(0.1)
        assert pool.worker_pids() == [first], "its replacement waits for work"
        for task_id, pdf in enumerate(pdfs, start=3):
            pool.submit(Task(task_id, str(pdf)))
        assert len(pool.worker_pids()) == 2
        outcomes = outcomes_of(pool, 2)
    finally:
        pool.shutdown()
    assert sorted((o.task_id, o.ok) for o in outcomes) == [(3, True), (4, True)]


def test_a_task_handed_over_just_before_a_pause_is_reported_held_then_started(tmp_path):
    """The pool counts a task handed to an idle worker as started; if the pause
    reaches the worker first, the worker says it is held, and it starts (and
    is reported started) only when the pause ends."""
    folder, output = tmp_path / "in", tmp_path / "out"
    pdf = make_pdf(folder / "a.pdf")
    settings = WorkerSettings("text", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 1)
    try:
        assert pool.submit(Task(1, str(pdf)))  # the worker is still starting up
        pool.hold(True)
        events = []
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            events += pool.wait(0.1)
        assert events == [Held(1)]  # and no outcome: it did not run while held
        pool.hold(False)
        while not any(isinstance(e, Outcome) for e in events) and time.monotonic() < deadline + 10:
            events += pool.wait(0.1)
    finally:
        pool.shutdown()
    assert [type(e).__name__ for e in events] == ["Held", "Started", "Outcome"]
    assert events[-1].ok


def test_a_big_pool_given_three_tasks_starts_three_workers(tmp_path):
    """`-w 300` on three documents: the other workers would only cost forks."""
    folder, output = tmp_path / "in", tmp_path / "out"
    pdfs = [make_pdf(folder / f"{i}.pdf") for i in range(3)]
    settings = WorkerSettings("text", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 50)
    try:
        assert pool.worker_pids() == []
        tasks = [Task(task_id, str(pdf)) for task_id, pdf in enumerate(pdfs, start=1)]
        assert all(pool.submit(task) for task in tasks), "each starts at once on its own worker"
        assert len(pool.worker_pids()) == 3
        assert pool.idle_slots() == 50 * TASKS_PER_WORKER - 3, "unstarted workers still count"
        outcomes = outcomes_of(pool, 3)
        assert len(pool.worker_pids()) == 3
    finally:
        pool.shutdown()
    assert sorted((o.task_id, o.ok) for o in outcomes) == [(1, True), (2, True), (3, True)]


def test_many_tasks_bring_a_pool_of_two_to_exactly_two_workers(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    pdf = make_pdf(folder / "a.pdf")
    settings = WorkerSettings("faulty:pid", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 2)
    outcomes: list[Outcome] = []
    try:
        assert pool.worker_pids() == []
        task_ids = iter(range(1, 13))
        deadline = time.monotonic() + 30
        while len(outcomes) < 12:
            assert time.monotonic() < deadline, f"{len(outcomes)} of 12 outcomes arrived"
            while pool.idle_slots() > 0 and (task_id := next(task_ids, None)) is not None:
                pool.submit(Task(task_id, str(pdf)))
                assert len(pool.worker_pids()) <= 2
            outcomes += [e for e in pool.wait(0.2) if isinstance(e, Outcome)]
        assert len(pool.worker_pids()) == 2
    finally:
        pool.shutdown()
    assert sorted(o.task_id for o in outcomes if o.ok) == list(range(1, 13))
    assert len({o.data["pid"] for o in outcomes}) == 2


def test_resizing_up_while_idle_starts_workers_only_when_tasks_come(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    pdf = make_pdf(folder / "a.pdf")
    settings = WorkerSettings("text", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 1)
    try:
        assert pool.submit(Task(1, str(pdf)))
        outcomes_of(pool, 1)
        assert len(pool.worker_pids()) == 1
        pool.resize(3)
        assert len(pool.worker_pids()) == 1
        assert pool.idle_slots() == 3 * pool.tasks_per_worker
        assert all(pool.submit(Task(task_id, str(pdf))) for task_id in (2, 3, 4))
        assert len(pool.worker_pids()) == 3
        outcomes = outcomes_of(pool, 3)
    finally:
        pool.shutdown()
    assert sorted((o.task_id, o.ok) for o in outcomes) == [(2, True), (3, True), (4, True)]


def test_a_killed_tasks_follower_runs_on_a_worker_started_for_it(tmp_path):
    """Both running tasks are killed; the one queued behind either is handed to a
    new worker and reported started, and the other killed worker, with nothing
    queued, is not replaced until work comes."""
    pool, (hang_1, hang_2, follower) = by_name_pool(tmp_path, ("hang-1", "hang-2", "ok"), 2)
    try:
        assert pool.submit(Task(1, str(hang_1)))
        assert pool.submit(Task(2, str(hang_2)))
        assert not pool.submit(Task(3, str(follower)))
        killed = set(pool.worker_pids())
        assert len(killed) == 2
        pool.kill(1)
        pool.kill(2)
        events = []
        deadline = time.monotonic() + 20
        while not any(isinstance(e, Outcome) for e in events):
            assert time.monotonic() < deadline, events
            events += pool.wait(0.2)
        survivors = pool.worker_pids()
    finally:
        pool.shutdown()
    assert Started(3) in events
    outcomes = [e for e in events if isinstance(e, Outcome)]
    assert [(o.task_id, o.ok) for o in outcomes] == [(3, True)]
    assert len(survivors) == 1 and not killed & set(survivors)
    assert outcomes[0].data["pid"] == survivors[0]


def test_a_task_queued_behind_a_long_one_moves_to_a_worker_that_falls_idle(tmp_path):
    pool, (hang, quick, follower) = by_name_pool(tmp_path, ("hang", "quick", "follower"), 2)
    try:
        assert pool.submit(Task(1, str(hang)))
        assert pool.submit(Task(2, str(quick)))
        assert not pool.submit(Task(3, str(follower)))
        assert pool.queued_behind() == {1: [3]}
        events = []
        deadline = time.monotonic() + 20
        while len([e for e in events if isinstance(e, Outcome)]) < 2:
            assert time.monotonic() < deadline, events
            events += pool.wait(0.2)
        behind = pool.queued_behind()
    finally:
        pool.shutdown()
    outcomes = {e.task_id: e for e in events if isinstance(e, Outcome)}
    assert set(outcomes) == {2, 3}, "the follower ran while the hang went on"
    assert outcomes[3].ok and outcomes[3].data["pid"] == outcomes[2].data["pid"]
    assert Started(3) in events and behind == {}


def test_a_moved_task_is_skipped_by_the_worker_it_left_which_then_takes_new_work(tmp_path):
    pool, (nap, quick, follower, later) = by_name_pool(
        tmp_path, ("nap", "quick", "follower", "later"), 2
    )
    try:
        pool.submit(Task(1, str(nap)))
        pool.submit(Task(2, str(quick)))
        pool.submit(Task(3, str(follower)))  # behind the one-second nap
        outcomes = outcomes_of(pool, 3)
        # The nap's worker skipped the follower it was told to give up: it is free.
        deadline = time.monotonic() + 20
        while pool.idle_slots() < 2 * pool.tasks_per_worker:
            assert time.monotonic() < deadline
            pool.wait(0.1)
        assert len(pool.worker_pids()) == 2
        pool.submit(Task(4, str(later)))
        outcomes += outcomes_of(pool, 1)
    finally:
        pool.shutdown()
    assert sorted(o.task_id for o in outcomes) == [1, 2, 3, 4]
    assert all(o.ok for o in outcomes)
    by_id = {o.task_id: o for o in outcomes}
    assert by_id[3].data["pid"] == by_id[2].data["pid"] != by_id[1].data["pid"]


def test_a_worker_told_to_skip_a_task_it_already_started_finishes_it_and_goes_on(tmp_path):
    """The race the move can lose: the skip arrives after the task started."""
    from tui.worker import Release

    pool, (nap, later) = by_name_pool(tmp_path, ("nap", "later"), 1)
    try:
        assert pool.submit(Task(1, str(nap)))
        deadline = time.monotonic() + 20
        while not nap.with_suffix(".started").exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        pool._workers[0].connection.send(Release(1))
        first = outcomes_of(pool, 1)
        assert pool.submit(Task(2, str(later)))
        second = outcomes_of(pool, 1)
    finally:
        pool.shutdown()
    assert [(o.task_id, o.ok) for o in first + second] == [(1, True), (2, True)]


def run_quick_tasks(pool: ProcessPool, pdf, task_ids) -> list[Outcome]:
    """Submit the tasks as the pool has room, and wait for all their outcomes."""
    task_ids = iter(task_ids)
    outcomes: list[Outcome] = []
    submitted = 0
    deadline = time.monotonic() + 30
    while True:
        while pool.idle_slots() > 0 and (task_id := next(task_ids, None)) is not None:
            pool.submit(Task(task_id, str(pdf)))
            submitted += 1
        if len(outcomes) == submitted and pool.idle_slots() > 0:
            return outcomes
        assert time.monotonic() < deadline, f"{len(outcomes)} of {submitted} outcomes arrived"
        outcomes += [e for e in pool.wait(0.2) if isinstance(e, Outcome)]


def test_quick_documents_are_queued_deeper_and_a_slow_one_brings_the_queue_back_to_two(tmp_path):
    """The controller naps while quick outcomes gather: each worker needs more queued meanwhile."""
    pool, (quick, nap) = by_name_pool(tmp_path, ("quick", "nap"), 1)
    try:
        assert pool.tasks_per_worker == TASKS_PER_WORKER
        outcomes = run_quick_tasks(pool, quick, range(1, 21))
        assert pool.tasks_per_worker == MAX_TASKS_PER_WORKER
        assert pool.idle_slots() == MAX_TASKS_PER_WORKER
        assert sum(not pool.submit(Task(task_id, str(quick))) for task_id in range(21, 37)) == 15
        assert pool.idle_slots() == 0
        outcomes += outcomes_of(pool, 16)
        assert pool._nap_seconds() == 0, "tasks that take no time: a nap would only idle the workers"
        started = time.monotonic()
        assert pool.wait(0.3) == []
        assert time.monotonic() - started >= 0.25, "with nothing to read, it waits as before"
        pool.submit(Task(37, str(nap)))
        outcomes += outcomes_of(pool, 1)
        assert pool.tasks_per_worker == TASKS_PER_WORKER
    finally:
        pool.shutdown()
    assert sorted(o.task_id for o in outcomes if o.ok) == list(range(1, 38))


def test_a_crash_behind_outcomes_waiting_in_the_pipe_is_blamed_on_its_own_task(tmp_path):
    pool, (quick, crash) = by_name_pool(tmp_path, ("quick", "exit"), 1)
    try:
        run_quick_tasks(pool, quick, range(1, 21))
        assert pool.tasks_per_worker > TASKS_PER_WORKER
        paths = [quick] * 6 + [crash] + [quick] * 6
        for task_id, path in enumerate(paths, start=100):
            pool.submit(Task(task_id, str(path)))
        outcomes = outcomes_of(pool, len(paths))
    finally:
        pool.shutdown()
    failed = [(o.task_id, o.error) for o in outcomes if not o.ok]
    assert failed == [(106, "crashed")]
    assert sorted(o.task_id for o in outcomes) == list(range(100, 113))


def test_a_long_task_at_the_head_of_a_deep_queue_keeps_one_follower(tmp_path):
    """The others go to a worker that is moving: behind the long one they would
    wait for it, and the ETA would count them after it."""
    pool, (quick, nap) = by_name_pool(tmp_path, ("quick", "nap"), 2)
    try:
        run_quick_tasks(pool, quick, range(1, 21))
        assert pool.tasks_per_worker > TASKS_PER_WORKER
        assert pool.submit(Task(100, str(nap)))
        for task_id in range(101, 109):
            pool.submit(Task(task_id, str(quick)))
        followers = pool.queued_behind()[100]
        assert len(followers) >= 3
        time.sleep(0.3)  # the long one has run past MOVE_AFTER_SECONDS
        outcomes = [e for e in pool.wait(0) if isinstance(e, Outcome)]
        assert pool.queued_behind().get(100) == followers[:1]
        outcomes += outcomes_of(pool, 9 - len(outcomes))
    finally:
        pool.shutdown()
    by_id = {o.task_id: o for o in outcomes}
    assert sorted(by_id) == list(range(100, 109)) and all(o.ok for o in outcomes)
    assert by_id[100].data["pid"] not in {by_id[moved].data["pid"] for moved in followers[1:]}
