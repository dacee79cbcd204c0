"""The pool's messages from a running document, with a real worker process."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pdfs import make_pdf
from tui.pool import ProcessPool
from tui.worker import Held, Outcome, PageProgress, Task, WorkerSettings, progress_reporter


class Recorder:
    def __init__(self):
        self.sent = []

    def send(self, message):
        self.sent.append(message)


def test_page_progress_is_sent_at_most_every_half_second_with_the_pace_since_page_one():
    times = iter([0.0, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0, 3.2])
    connection = Recorder()
    report = progress_reporter(connection, 7, clock=lambda: next(times))
    for done in range(1, 8):
        report(done, 10)
    # Page 1 took 2 s (opening the file); from there 0.2 s a page.
    assert connection.sent == [
        PageProgress(7, 4, 10, pytest.approx(1.2)),
        PageProgress(7, 7, 10, pytest.approx(0.6)),
    ]


def test_page_progress_weighs_the_pages_once_and_mixes_both_paces():
    # Pages 5-10 hold four times the content of pages 1-4.
    sizes = [100] * 4 + [400] * 6
    weighed = []

    def weigh():
        weighed.append(True)
        return sizes

    # The weighing itself takes 0.3 s (2.6 -> 2.9): it is not the pages' pace.
    times = iter([0.0, 2.0, 2.2, 2.4, 2.6, 2.9, 3.5])
    connection = Recorder()
    report = progress_reporter(connection, 7, clock=lambda: next(times))
    for done in range(1, 6):
        report(done, 10, weigh)
    # At page 4: 0.6 s for pages 2-4, so 0.2 s a page (1.2 s for 6 pages) and
    # 0.002 s a byte (4.8 s for 2,400 bytes): the mean is 3.0 s.
    # At page 5: 1.2 s for pages 2-5: 1.5 s by pages, 1.2/700*2000 by bytes.
    assert connection.sent == [
        PageProgress(7, 4, 10, pytest.approx(3.0)),
        PageProgress(7, 5, 10, pytest.approx((1.5 + 1.2 / 700 * 2000) / 2)),
    ]
    assert len(weighed) == 1


def _weighing_that_fails():
    raise RuntimeError("cannot weigh")


@pytest.mark.parametrize(
    "weigh", [lambda: None, lambda: [100] * 9, lambda: [0] * 10, _weighing_that_fails]
)
def test_page_progress_without_usable_weights_keeps_the_pace_per_page(weigh):
    times = iter([0.0, 2.0, 2.2, 2.4, 2.6, 2.6])
    connection = Recorder()
    report = progress_reporter(connection, 7, clock=lambda: next(times))
    for done in range(1, 5):
        report(done, 10, weigh)
    assert connection.sent == [PageProgress(7, 4, 10, pytest.approx(1.2))]


def test_a_long_document_reports_its_pages_before_its_outcome(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    long_pdf = make_pdf(folder / "long.pdf", pages=900)
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
    assert progress, "a 900-page extraction runs longer than half a second"
    assert all(event.task_id == 1 and 0 < event.done < event.total == 900 for event in progress)
    assert isinstance(events[-1], Outcome) and events[-1].ok


def test_a_worker_that_dies_while_idle_is_replaced_and_blames_no_document(tmp_path):
    folder, output = tmp_path / "in", tmp_path / "out"
    pdfs = [make_pdf(folder / f"{i}.pdf", pages=1) for i in range(2)]
    settings = WorkerSettings("text", str(folder), str(output), None, os.getpid())
    pool = ProcessPool(settings, 2)
    try:
        first, second = pool.worker_pids()
        os.kill(second, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while second in pool.worker_pids() and time.monotonic() < deadline:
            pool.wait(0.1)
        assert second not in pool.worker_pids() and len(pool.worker_pids()) == 2
        for task_id, pdf in enumerate(pdfs, start=1):
            pool.submit(Task(task_id, str(pdf)))
        outcomes = []
        while len(outcomes) < 2 and time.monotonic() < deadline:
            outcomes += [e for e in pool.wait(0.5) if isinstance(e, Outcome)]
    finally:
        pool.shutdown()
    assert sorted((o.task_id, o.ok) for o in outcomes) == [(1, True), (2, True)]


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
