"""The ETA estimator against simulated batches with known per-document costs.

A tiny discrete-event simulator plays a batch on a pool of workers (list
scheduling: a free worker takes the next queued document) and asks for an
estimate every half second, so every run is exact and needs no real time.
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from tui.eta import EVIDENCE_SECONDS, CostModel, EtaEstimator, makespan

TICK = 0.5


@dataclass(frozen=True)
class Doc:
    bytes: int
    seconds: float


@dataclass
class Run:
    """What the simulator saw at each tick, and when the batch really ended."""

    ticks: list[float] = field(default_factory=list)
    etas: list[float | None] = field(default_factory=list)
    count_etas: list[float | None] = field(default_factory=list)
    predicted_tails: list[float] = field(default_factory=list)
    """The estimator's own prediction for the longest-running document left."""
    end: float = 0.0

    def truth(self, i: int) -> float:
        return self.end - self.ticks[i]

    def window(self, start: float = 0.1, stop: float = 0.9) -> range:
        """Tick indices from `start` to `stop` of the wall time."""
        inside = [i for i, t in enumerate(self.ticks) if start * self.end <= t <= stop * self.end]
        return range(inside[0], inside[-1] + 1)

    def relative_errors(self, etas: Sequence[float | None]) -> list[float]:
        """|ETA − true remaining| / true remaining over the window; "estimating" is 100 % off."""
        errors = []
        for i in self.window():
            eta = etas[i]
            errors.append(1.0 if eta is None else abs(eta - self.truth(i)) / self.truth(i))
        return errors


def lognormal_workload(n: int, seed: int, *, fixed_seconds: float = 0.001) -> list[Doc]:
    """Like benchmarks/make_corpus.py: page counts log-normal (median 4, tail into
    the hundreds), text density varying from document to document. Bytes and
    seconds both follow pages and density, so size predicts cost well, though a
    cost per page makes sparse documents dearer per byte."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        pages = min(600, max(1, round(rng.lognormvariate(math.log(4), 1.2))))
        lines = rng.randint(20, 60)
        size = 450 + pages * (60 + lines * 24 * rng.uniform(0.95, 1.05))
        per_page = (0.003 + lines * 0.00022) * rng.lognormvariate(0, 0.15)
        docs.append(Doc(int(size), fixed_seconds + pages * per_page))
    return docs


MEASURED_MICROSECONDS_PER_BYTE = (
    (1, 7.8), (2, 10.1), (16, 11.8), (40, 9.6), (100, 7.7), (600, 14.3),
)
"""(up to so many pages, cost per byte) of the text processor on the benchmark's
generated corpus, largest first, 2 workers: cost per byte is far from constant."""


def measured_workload(n: int, seed: int) -> list[Doc]:
    """Page counts as above, with costs per byte as measured on the benchmark corpus."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        pages = min(600, max(1, round(rng.lognormvariate(math.log(4), 1.2))))
        size = 450 + pages * (60 + rng.randint(20, 60) * 24)
        rate = next(rate for most, rate in MEASURED_MICROSECONDS_PER_BYTE if pages <= most)
        docs.append(Doc(size, size * rate * 1e-6 * rng.lognormvariate(0, 0.15)))
    return docs


def largest_first(docs: Sequence[Doc]) -> list[Doc]:
    return sorted(docs, key=lambda doc: -doc.bytes)


def simulate(
    docs: Sequence[Doc],
    workers: int,
    *,
    worker_changes: Sequence[tuple[float, int]] = (),
    slowdown: Callable[[float], float] = lambda now: 1.0,
    estimator: EtaEstimator | None = None,
) -> Run:
    """Play `docs` in order on `workers` workers, asking for an ETA every TICK.

    `worker_changes` are (time, workers) pairs; when the pool shrinks, running
    documents finish and no new ones start until fewer are running. A document
    started at t takes slowdown(t) times its cost (other load on the machine)."""
    eta = estimator or EtaEstimator(workers)
    queue = list(reversed(docs))
    queued_bytes = sum(doc.bytes for doc in docs)
    running: list[tuple[float, int, Doc, float]] = []  # (finish, tie-break, doc, started)
    changes = sorted(worker_changes)
    finished = 0
    run = Run()

    def start_documents(now: float) -> None:
        nonlocal queued_bytes
        while queue and len(running) < workers:
            doc = queue.pop()
            queued_bytes -= doc.bytes
            doc = Doc(doc.bytes, doc.seconds * slowdown(now))
            heapq.heappush(running, (now + doc.seconds, len(queue), doc, now))

    start_documents(0.0)
    now = 0.0
    while queue or running:
        while running and running[0][0] <= now:
            end, _, doc, _ = heapq.heappop(running)
            eta.document_finished(doc.bytes, doc.seconds, end)
            finished += 1
            run.end = end
            start_documents(end)
        while changes and changes[0][0] <= now:
            workers = changes.pop(0)[1]
            eta.set_workers(workers, now)
            start_documents(now)
        in_flight = [(doc.bytes, started) for _, _, doc, started in running]
        run.ticks.append(now)
        run.etas.append(eta.estimate(now, len(queue), queued_bytes, in_flight))
        run.count_etas.append(count_rate_eta(now, finished, len(queue) + len(running)))
        tails = [eta.in_flight_left(size, now - started) for size, started in in_flight]
        run.predicted_tails.append(max(tails, default=0.0))
        now += TICK
    return run


def count_rate_eta(now: float, finished: int, left: int) -> float | None:
    """What a progress bar that counts documents says: documents left ÷ documents per second."""
    return left * now / finished if finished and now > 0 else None


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def error_figures(run: Run, etas: Sequence[float | None]) -> tuple[float, float]:
    """(median, 90th percentile) relative error between 10 % and 90 % of the run."""
    errors = run.relative_errors(etas)
    return statistics.median(errors), percentile(errors, 0.9)


SEEDS = range(4)


# --- Estimating until there is evidence ------------------------------------------------


def test_estimating_until_documents_finished_and_time_passed() -> None:
    eta = EtaEstimator(4)
    soon = 0.6 * EVIDENCE_SECONDS
    assert eta.estimate(0.0, 100, 10_000_000, []) is None
    eta.document_finished(100_000, 0.1, now=0.1)
    assert eta.estimate(0.1, 99, 9_900_000, []) is None, "one document is no evidence"
    eta.document_finished(100_000, 0.1, now=soon)
    assert eta.estimate(soon, 98, 9_800_000, []) is None, "too soon after the start"
    assert eta.estimate(EVIDENCE_SECONDS, 98, 9_800_000, []) is not None


def test_estimating_while_the_total_is_unknown() -> None:
    eta = EtaEstimator(4)
    for i in range(10):
        eta.document_finished(100_000, 1.0, now=1.0 + i)
    assert eta.estimate(20.0, None, None, []) is None
    assert eta.estimate(20.0, 50, 5_000_000, []) is not None


def test_nothing_left_is_zero() -> None:
    assert EtaEstimator(4).estimate(0.0, 0, 0, []) == 0.0


def test_a_run_is_estimating_only_at_its_start() -> None:
    run = simulate(lognormal_workload(3000, seed=0), workers=2)
    assert run.etas[0] is None
    assert all(run.etas[i] is not None for i in run.window())


# --- Accuracy ---------------------------------------------------------------------------

ORDERS = pytest.mark.parametrize("order", [list, largest_first], ids=["random", "largest-first"])
POOLS = pytest.mark.parametrize(("n", "workers"), [(3000, 2), (2000, 8)])


def assert_on_target(figures: list[tuple[float, float]]) -> None:
    """The issue's target (median ≤ 10 %, 90th percentile ≤ 25 %) on average over
    seeds, and no seed far off it."""
    medians, p90s = zip(*figures)
    assert statistics.mean(medians) <= 0.10, figures
    assert statistics.mean(p90s) <= 0.25, figures
    assert max(medians) <= 0.15 and max(p90s) <= 0.35, figures


@ORDERS
@POOLS
def test_accuracy_on_a_lognormal_workload(order, n: int, workers: int) -> None:
    runs = [simulate(order(lognormal_workload(n, seed)), workers) for seed in SEEDS]
    assert_on_target([error_figures(run, run.etas) for run in runs])


@ORDERS
def test_accuracy_when_every_document_has_a_fixed_cost(order) -> None:
    """As with a processor that reads only metadata: size barely matters. Largest
    first, cost per byte is used until the fixed cost shows, which can take the
    first quarter of the run, so only the average is held to the target there."""
    figures = []
    for seed in SEEDS:
        eta = EtaEstimator(8)
        run = simulate(order(lognormal_workload(2000, seed, fixed_seconds=0.2)), 8, estimator=eta)
        figures.append(error_figures(run, run.etas))
        assert eta.model.uses_line
    medians, p90s = zip(*figures)
    assert statistics.mean(medians) <= 0.10 and statistics.mean(p90s) <= 0.25, figures
    assert max(medians) <= 0.15, figures


def test_accuracy_when_cost_per_byte_wobbles_with_size() -> None:
    """The hardest case measured: largest first, the queue is always smaller than
    anything seen, and a line fitted so far would extrapolate its wobble."""
    runs = [simulate(largest_first(measured_workload(3000, seed)), 2) for seed in SEEDS]
    figures = [error_figures(run, run.etas) for run in runs]
    medians, p90s = zip(*figures)
    assert statistics.mean(medians) <= 0.15 and statistics.mean(p90s) <= 0.25, figures


def test_a_machine_slowing_down_is_not_taken_for_a_cost_per_document() -> None:
    """Largest first, a machine 50 % slower from t=45 s makes the ever smaller
    documents look dearer per byte, as a fixed cost per document would."""
    for seed in SEEDS:
        eta = EtaEstimator(2)
        docs = largest_first(lognormal_workload(3000, seed))
        run = simulate(docs, 2, slowdown=lambda now: 1.5 if now >= 45.0 else 1.0, estimator=eta)
        assert not eta.model.uses_line
        assert error_figures(run, run.etas)[1] <= 0.35


def test_long_documents_follow_a_machine_that_slows_down_within_a_minute_or_two() -> None:
    """Documents of about a second each, on a machine 50 % slower from t=300 s
    (another job started). Remembering 2,000 documents, the ETA stayed over
    10 % short for some 1,000 documents, twelve minutes of this batch; with
    120 s of worker time, 97 s; it must follow within 90 s of the change."""
    rng = random.Random(7)
    docs = [Doc(1_000_000, rng.uniform(0.8, 1.2)) for _ in range(4000)]
    change = 300.0
    run = simulate(docs, 2, slowdown=lambda now: 1.5 if now >= change else 1.0)
    late = [
        abs(eta - run.truth(i)) / run.truth(i)
        for i in run.window()
        if run.ticks[i] >= change + 90.0 and (eta := run.etas[i]) is not None
    ]
    assert late and max(late) <= 0.10, max(late)


@POOLS
def test_beats_counting_documents_when_large_files_come_first(n: int, workers: int) -> None:
    for seed in SEEDS:
        run = simulate(largest_first(lognormal_workload(n, seed)), workers)
        ours, counting = error_figures(run, run.etas), error_figures(run, run.count_etas)
        assert ours[0] <= counting[0] / 5 and ours[1] <= counting[1] / 5, (ours, counting)


@POOLS
def test_halves_the_error_of_counting_in_random_order(n: int, workers: int) -> None:
    runs = [simulate(lognormal_workload(n, seed), workers) for seed in SEEDS]
    ours = statistics.mean(error_figures(run, run.etas)[0] for run in runs)
    counting = statistics.mean(error_figures(run, run.count_etas)[0] for run in runs)
    assert ours <= counting / 2, (ours, counting)


# --- In-flight documents ----------------------------------------------------------------


def proportional_model(eta: EtaEstimator, seconds_per_byte: float) -> None:
    """Teach `eta` that cost is exactly proportional to size."""
    for i, size in enumerate(range(100_000, 2_100_000, 100_000)):
        eta.document_finished(size, size * seconds_per_byte, now=0.1 * i)


def test_in_flight_documents_are_credited_with_work_done() -> None:
    eta = EtaEstimator(4)
    proportional_model(eta, 8e-6)
    assert eta.in_flight_left(1_000_000, elapsed=5.0) == pytest.approx(3.0, rel=0.01)
    overran = eta.in_flight_left(1_000_000, elapsed=20.0)
    assert overran == pytest.approx(5.0), "a share of its elapsed time"


def test_never_less_than_the_longest_document_in_flight() -> None:
    eta = EtaEstimator(4)
    proportional_model(eta, 8e-6)
    big_started_at_10 = (10_000_000, 10.0)  # predicted 80 s
    estimate = eta.estimate(20.0, 10, 100_000, [big_started_at_10, (100_000, 19.0)])
    assert estimate is not None and estimate >= 70.0 - 1e-9


def test_a_document_queued_behind_a_long_one_waits_for_it() -> None:
    """It runs after the long one on the same worker, not on the idle one."""
    eta = EtaEstimator(2)
    proportional_model(eta, 1e-6)
    long_one = (1_000_000, 0.0, 5.0)  # says it has 5 s left
    alone = eta.estimate(20.0, 0, 0, [long_one])
    followed = eta.estimate(20.0, 0, 0, [(*long_one, [2_000_000])])  # 2 s queued behind it
    assert alone == pytest.approx(5.0)
    assert followed == pytest.approx(7.0)


def test_never_less_than_the_longest_in_flight_throughout_a_run() -> None:
    for docs in (lognormal_workload(1000, 1), largest_first(lognormal_workload(1000, 1))):
        run = simulate(docs, 8)
        for eta, tail in zip(run.etas, run.predicted_tails):
            assert eta is None or eta >= tail - 1e-9


# --- Workers ----------------------------------------------------------------------------


def test_remaining_work_is_shared_among_workers() -> None:
    one_busy = [5.0, 0.0, 0.0, 0.0]
    assert makespan(30.0, 30_000, one_busy, 4, dispersion=1.0) == pytest.approx(8.75, rel=0.01)
    assert makespan(9.0, 3_000, one_busy, 4, dispersion=1.0) == pytest.approx(5.0), "the tail"
    assert makespan(2.0, 1, [], 4, dispersion=1.0) == pytest.approx(2.0), "one document, one worker"


@pytest.mark.parametrize(("before", "after"), [(4, 2), (2, 4)])
def test_adapts_within_seconds_when_workers_change(before: int, after: int) -> None:
    change_at = 16.0
    run = simulate(lognormal_workload(2000, seed=2), before, worker_changes=[(change_at, after)])
    i = run.ticks.index(change_at)
    expected = (run.etas[i - 1] - TICK) * before / after
    for seconds_later in (1.0, 3.0):
        j = i + int(seconds_later / TICK)
        assert run.etas[j] == pytest.approx(expected - seconds_later, rel=0.15)
        assert run.etas[j] == pytest.approx(run.truth(j), rel=0.15)


# --- Stability --------------------------------------------------------------------------


def test_counts_down_steadily_when_nothing_surprising_happens() -> None:
    run = simulate(lognormal_workload(3000, seed=0), 2)
    one_second = int(1.0 / TICK)
    for i in run.window():
        now, later = run.etas[i], run.etas[i + one_second]
        assert abs(later - (now - 1.0)) <= 0.05 * now, (run.ticks[i], now, later)


def steady_estimator() -> EtaEstimator:
    eta = EtaEstimator(1)
    proportional_model(eta, 1e-6)
    assert eta.estimate(10.0, 100, 100_000_000, []) == pytest.approx(100.0, rel=0.01)
    return eta


def test_a_modest_surprise_is_followed_gradually() -> None:
    eta = steady_estimator()

    def after_surprise(now: float) -> float | None:
        """20 % more work turned up at t=10.5, and the one worker does 1 MB a second."""
        return eta.estimate(now, 100, int(119_500_000 - (now - 10.5) * 1_000_000), [])

    first = after_surprise(10.5)
    assert first is not None and 100.0 < first < 105.0
    for step in range(1, 41):
        settled = after_surprise(10.5 + 0.5 * step)
    assert settled == pytest.approx(130.0 - 30.5, rel=0.01), "finishes at t=130"


def test_a_large_surprise_is_followed_at_once() -> None:
    eta = steady_estimator()
    assert eta.estimate(10.5, 100, 300_000_000, []) == pytest.approx(300.0, rel=0.01)


# --- The cost model ---------------------------------------------------------------------


def test_learns_a_clean_linear_cost_even_from_big_documents_only() -> None:
    model = CostModel()
    for size in range(10_000_000, 1_000_000, -50_000):
        model.learn(size, 0.05 + 2e-6 * size)
    assert model.predict(20_000) == pytest.approx(0.05 + 2e-6 * 20_000, rel=0.02)


def test_a_workers_slow_first_document_is_not_taken_for_a_fixed_cost() -> None:
    # Big documents first (as the look-ahead schedules them), and the worker's
    # first document a small one, slowed by its warm-up: 8 ms where 3.65 ms is
    # its cost. The documents left are mostly small.
    def cost(size: int) -> float:
        return 0.002 + 1.65e-6 * size

    def error(warming: bool) -> float:
        model, rng = CostModel(), random.Random(3)
        model.learn(1_000, 0.008, in_line=not warming)
        for _ in range(40):
            size = rng.randint(20_000, 80_000)
            model.learn(size, cost(size))
        left = [rng.choice([1_000, 3_000, 8_000, 30_000]) for _ in range(500)]
        return model.predict(sum(left), len(left)) / sum(map(cost, left)) - 1

    assert abs(error(warming=True)) < 0.02
    assert error(warming=False) > 0.15, "the case no longer shows what a warm-up did"


def test_a_few_stuck_documents_do_not_swing_the_fit() -> None:
    clean, stuck = CostModel(), CostModel()
    for i, doc in enumerate(lognormal_workload(300, seed=3)):
        clean.learn(doc.bytes, doc.seconds)
        stuck.learn(doc.bytes, doc.seconds)
        if i in (50, 120, 200):
            stuck.learn(20_000, 30.0)  # a one-page file that hung until a timeout
    median_document = 5_000
    assert stuck.predict(median_document) == pytest.approx(clean.predict(median_document), rel=0.10)


def test_a_running_document_that_reports_its_pages_is_judged_by_its_own_pace():
    estimator = EtaEstimator(workers=1)
    for second in range(1, 11):
        estimator.document_finished(1_000_000, 1.0, now=float(second))
    by_size = estimator.in_flight_left(1_000_000, elapsed=4.0)
    by_pace = estimator.in_flight_left(1_000_000, elapsed=4.0, left=12.0)
    assert by_size == pytest.approx(0.25 * 4.0)  # overran a 1 s prediction
    assert by_pace == pytest.approx(12.0)  # what its own page pace says
    assert estimator.estimate(11.0, 0, 0, [(1_000_000, 7.0, 12.0)]) == pytest.approx(12.0, rel=0.05)
    assert estimator.estimate(11.0, 0, 0, [(1_000_000, 7.0, None)]) < 2.0


def test_a_running_documents_pace_prices_the_queue_too() -> None:
    # One worker. Three big, quick files (images: 50 ms for 3 MB) finished
    # first; now a 1.8 MB text-heavy file runs, 1 s in with 2 s to go by its
    # pages: 1.7 us a byte, where the finished files said 17 ns. The queue
    # is 3.6 MB more of such text.
    estimator = EtaEstimator(workers=1)
    estimator.document_finished(100, 0.01, now=0.01, warming=True)
    for second in (0.1, 0.2, 0.3):
        estimator.document_finished(3_000_000, 0.05, now=second)
    running = [(1_800_000, 0.3, 2.0)]
    eta = estimator.estimate(1.3, 90, 3_600_000, running)
    learned = (0.15 + 3.0) / (9_000_000 + 1_800_000)  # per byte, with the pace
    assert eta >= 2.0 + 0.9 * learned * 3_600_000  # the finished files alone: 2.06 s
    assert estimator.model.documents == 4, "what the pace foretells is not learned for good"


def test_the_line_waits_for_enough_documents_of_its_own() -> None:
    # Costs with a strong fixed part; one of them a worker's first.
    model = CostModel()
    model.learn(1_000, 0.3, in_line=False)
    for size in (10_000, 20_000, 40_000, 80_000):
        model.learn(size, 0.1 + 1e-6 * size)
    assert not model.uses_line, "four documents are not enough for the line"
    model.learn(160_000, 0.1 + 1e-6 * 160_000)
    assert model.uses_line


def test_when_a_running_document_sets_the_end_its_news_is_shown_at_once() -> None:
    """No drift toward a figure the last page report has overtaken."""
    estimator = EtaEstimator(workers=2)
    for second in range(1, 11):
        estimator.document_finished(10_000, 0.1, now=float(second))
    assert estimator.estimate(11.0, 3, 30_000, [(2_000_000, 5.0, 20.0)]) == pytest.approx(20.0)
    # Its next report says it is faster than it looked: 16 s left, not 19.5.
    assert estimator.estimate(11.5, 3, 30_000, [(2_000_000, 5.0, 16.0)]) == pytest.approx(16.0)
    assert estimator.estimate(12.0, 3, 30_000, [(2_000_000, 5.0, 14.0)]) == pytest.approx(14.0)


def test_a_queue_that_outlasts_the_running_documents_is_still_smoothed() -> None:
    eta = steady_estimator()
    first = eta.estimate(10.5, 100, 119_500_000, [(1_000, 10.0, 1.0)])
    assert first is not None and 100.0 < first < 105.0
