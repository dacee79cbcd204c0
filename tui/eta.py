"""How long a batch has left, predicted from what each document will cost.

PDFs differ in cost by orders of magnitude, so a rate of documents per second
(tqdm's model) or an average time per document goes badly wrong whenever big
files come early or late. Instead each document's cost is predicted from its
size, learned online from the documents that finished (`CostModel`); the work
left is that of the queue plus what the running documents still need, spread
over the workers (`makespan`); and the finish time shown is smoothed.

Every method takes the clock reading `now`, so tests control time.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

MEMORY_DOCUMENTS = 2000.0
"""Roughly how many recent documents the cost model remembers, so that a long
batch follows a machine that gets slower or faster. Shorter would follow load
faster but let a few big documents swing the estimate."""

MEMORY_WORKER_SECONDS = 60.0
"""And roughly how many seconds of the workers' time its cost per byte
remembers, whichever is shorter. Counted in documents alone, a batch of
one-second documents took some 1,000 of them (twelve minutes on two workers)
to follow a machine that became 50% slower; this follows it within about
one, and leaves quick documents (thousands in a minute) counted by
MEMORY_DOCUMENTS as before. 120 s took 70 s on a real machine against 47 s,
and was no steadier on the shared corpus (BENCHMARKS.md, seventeenth round).
The line keeps its memory in documents: it needs small and big documents
alike in view to tell a fixed cost, and with eight workers two minutes of
work held too few sizes (largest first, its fixed cost went unseen and the
ETA's p90 error reached 65%)."""

WARM_UP_DOCUMENTS = 5
"""Documents to learn from before trusting the line or calling any an outlier."""

OUTLIER_RATIO = 4.0
"""A document taking more than this many times its prediction (or less than
this fraction) is learned as if it had taken just that, so one pathological
file cannot swing the fit."""

LINE_GAIN = 2.0
"""The line is used only if it leaves this many times less squared relative
error than the best line through 0 on the documents seen: its fixed cost must
explain much, not just bend a wobbly relation, nor mistake a machine slowing
down while ever smaller documents run for a cost per document."""

OVERRUN_SHARE = 0.25
"""A document running past its prediction is expected to need this share of
its elapsed time again: the longer it has run, the longer it is likely to run."""

SMOOTHING_SECONDS = 3.0
"""Time constant with which the shown finish time follows the model's."""

TAIL_TOLERANCE = 0.02
"""The end is taken as set by the longest running document when the estimate
exceeds that document's time left by no more than this share."""

EVIDENCE_SECONDS = 1.0
"""The least time the batch runs before an estimate is shown, however many
documents finished: the first second's documents are the quickest that got
started, not a sample. Longer left a short batch "estimating" for most of its
run (the shared corpus: 2 s of 3) and showed nothing better after it."""

FAR_OFF = 0.5
"""When the model's finish time is this share of the remaining time away from
the shown one, the shown one jumps to it instead of drifting."""


RunningDocument = (
    tuple[int, float] | tuple[int, float, float | None] | tuple[int, float, float | None, Sequence[int]]
)
"""(bytes, started[, seconds it says it has left[, sizes of the documents queued behind it]])."""


class CostModel:
    """Seconds a document takes, from its size, learned from finished documents.

    Two fits, both linear so that queued documents, known only as a count and a
    total size, can be predicted as a whole:

    - cost per byte, seconds = b·bytes with b = Σ seconds / Σ bytes: right on
      average for any random sample of documents, whatever the true relation,
      and it extrapolates gently to smaller documents. The default.
    - a line, seconds = a + b·bytes, weighted by 1/(bytes + typical bytes)² so
      that relative error counts, not the few biggest files: needed when every
      document costs about the same whatever its size (a processor that reads
      only metadata), where cost per byte under-predicts small files.
      But a line fitted to the big documents seen so far extrapolates wildly to
      small ones (real costs per byte wobble with size), so it is used only when
      its fixed cost clearly explains the data. A worker's first document is
      kept out of the line: its warm-up makes one small file look like a fixed
      cost (the generated corpus, scheduled big files first: one 1 KB file at
      8 ms beside 25-80 KB files made a fixed cost of 6.4 ms, where later fits
      find under 1 ms, and the ETA 20-30% long early in the run). Cost per
      byte, a sum over all documents, barely notices it, and counts it.
    """

    def __init__(
        self, memory: float = MEMORY_DOCUMENTS, memory_seconds: float = MEMORY_WORKER_SECONDS
    ) -> None:
        self._keep = 1.0 - 1.0 / memory
        self._memory_seconds = memory_seconds
        self._n = self._w = self._wx = self._wy = self._wxx = self._wxy = self._wyy = 0.0
        self._bytes = self._seconds = self._seconds_squared = self._log_bytes = 0.0
        self.documents = 0
        self._line_documents = 0
        """Documents in the line's sums: the line needs WARM_UP_DOCUMENTS of its own."""

    @property
    def typical_bytes(self) -> float:
        """Geometric mean of the sizes seen: the scale of a document."""
        return math.exp(self._log_bytes / self.documents) - 1.0 if self.documents else 0.0

    @property
    def dispersion(self) -> float:
        """E[seconds²] / E[seconds]²: 1 when all documents cost the same, large
        when a few dominate."""
        return self._seconds_squared * self._n / self._seconds**2 if self._seconds > 0.0 else 1.0

    @property
    def uses_line(self) -> bool:
        """Whether the line's fixed cost clearly explains the costs seen."""
        if self._line_documents < WARM_UP_DOCUMENTS or self._wxx <= 0.0:
            return False
        fit = self._solve()
        if fit is None:
            return False
        proportional = self._squared_error(0.0, self._wxy / self._wxx)
        return proportional > LINE_GAIN * self._squared_error(*fit)

    def predict(self, size: int, documents: int = 1) -> float:
        """Seconds that `documents` documents totalling `size` bytes should take."""
        if self.uses_line:
            return self.predict_by_line(size, documents)
        return self.predict_per_byte(size)

    def predict_per_byte(self, size: int) -> float:
        return self._seconds / self._bytes * max(size, 0) if self._bytes > 0.0 else 0.0

    def predict_by_line(self, size: int, documents: int = 1) -> float:
        a, b = self.line
        return max(documents, 0) * a + b * max(size, 0)

    def learn(self, size: int, seconds: float, *, in_line: bool = True, measured: bool = True) -> None:
        """Learn one document's cost. Out of the line (`in_line` false), it
        counts in the cost per byte only: a worker's first document, whose
        warm-up would pass for a fixed cost, or a running one's cost as its
        pace foretells, which is news but not yet a measurement (`measured`
        false): that one does not make the cost per byte forget sooner."""
        x, y = float(max(size, 0)), max(seconds, 0.0)
        if self.documents >= WARM_UP_DOCUMENTS:
            expected = self.predict(size)
            y = min(max(y, expected / OUTLIER_RATIO), expected * OUTLIER_RATIO)
        self.documents += 1
        self._log_bytes += math.log1p(x)
        k = self._keep
        per_byte = min(k, math.exp(-y / self._memory_seconds)) if measured else k
        self._n = per_byte * self._n + 1.0
        if in_line:
            self._line_documents += 1
            w = 1.0 / (x + self.typical_bytes + 1.0) ** 2
            self._w = k * self._w + w
            self._wx = k * self._wx + w * x
            self._wy = k * self._wy + w * y
            self._wxx = k * self._wxx + w * x * x
            self._wxy = k * self._wxy + w * x * y
            self._wyy = k * self._wyy + w * y * y
        self._bytes = per_byte * self._bytes + x
        self._seconds = per_byte * self._seconds + y
        self._seconds_squared = per_byte * self._seconds_squared + y * y

    @property
    def line(self) -> tuple[float, float]:
        """(a, b) of the line; where the best line would have a < 0 or b < 0,
        the best with that coefficient at 0."""
        fit = self._solve()
        if fit is not None and fit[0] >= 0.0 and fit[1] >= 0.0:
            return fit
        if fit is None or fit[0] < 0.0:
            return 0.0, self._wxy / self._wxx if self._wxx > 0.0 else 0.0
        return self._wy / self._w, 0.0

    def _solve(self) -> tuple[float, float] | None:
        """Weighted least squares; None until two sizes have been seen."""
        det = self._w * self._wxx - self._wx**2
        if det <= 1e-12 * self._w * self._wxx:
            return None
        a = (self._wxx * self._wy - self._wx * self._wxy) / det
        b = (self._w * self._wxy - self._wx * self._wy) / det
        return a, b

    def _squared_error(self, a: float, b: float) -> float:
        """Weighted Σ (seconds − a − b·bytes)²."""
        fitted = a * a * self._w + 2 * a * b * self._wx + b * b * self._wxx
        return max(self._wyy - 2 * (a * self._wy + b * self._wxy) + fitted, 0.0)


class EtaEstimator:
    """Seconds until a batch ends, from document sizes and the worker count.

    Returns None ("estimating") until enough documents have finished and some
    time has passed, and smooths the predicted finish time, not the seconds
    left, so that the shown ETA counts down steadily between surprises.
    """

    def __init__(
        self, workers: int, *, min_documents: int = 2, min_seconds: float = EVIDENCE_SECONDS
    ) -> None:
        self.workers = max(1, workers)
        self.model = CostModel()
        self.min_documents = min_documents
        self.min_seconds = min_seconds
        self._first_seen: float | None = None
        self._finish: float | None = None
        self._last_estimate = 0.0

    def set_workers(self, workers: int, now: float) -> None:
        """A new worker count is news, not noise: the next estimate is not smoothed."""
        self._note_time(now)
        if max(1, workers) != self.workers:
            self.workers = max(1, workers)
            self._finish = None

    def document_finished(self, bytes: int, seconds: float, now: float, *, warming: bool = False) -> None:
        """A document finished (successfully or not) after `seconds` of worker
        wall time; `warming` if it was its worker's first."""
        self._note_time(now)
        self.model.learn(bytes, seconds, in_line=not warming)

    def estimate(
        self,
        now: float,
        remaining_docs: int | None,
        remaining_bytes: int | None,
        in_flight: Sequence[RunningDocument],
    ) -> float | None:
        """Seconds until the batch ends, or None while estimating.

        `in_flight` holds (bytes, started) per running document, optionally
        with the seconds it says it has left as a third item (None if unknown)
        and, as a fourth, the sizes of the documents queued behind it on its
        worker: they run after it, not on whichever worker is free, so a long
        document's followers lengthen its worker's time, not the queue's.
        `remaining_docs` and `remaining_bytes` leave those followers out.
        """
        self._note_time(now)
        if remaining_docs == 0 and not in_flight:
            return 0.0
        if remaining_docs is None or remaining_bytes is None or not self._has_evidence(now):
            return None
        model = self._with_paced(now, in_flight)
        busy_for = []
        for size, started, *rest in in_flight:
            left = rest[0] if rest else None
            behind: Sequence[int] = rest[1] if len(rest) > 1 else ()
            busy = self.in_flight_left(size, now - started, left)
            busy_for.append(busy + sum(model.predict(queued) for queued in behind))
        queued = model.predict(remaining_bytes, remaining_docs)
        left = makespan(queued, remaining_docs, busy_for, self.workers, model.dispersion)
        return self._smoothed_finish(now, now + left, max(busy_for, default=0.0)) - now

    def _with_paced(self, now: float, in_flight: Sequence[RunningDocument]) -> CostModel:
        """The cost model, having also learned each running document that
        reports its own pace, at the cost that pace foretells.

        Finished documents alone are a sample biased against long ones: a
        long document started early is learned only at its end, and until
        then the queue is predicted from the quick ones (one worker on the
        shared corpus: a 117-page file at 1.5 us a byte while images at 30 ns
        a byte finish before it; the ETA was 61-83% short until it ended,
        31-48% with its pace learned). Such a document stays out of the line:
        one long file among a few quick ones made a fixed cost of a second."""
        paced = [
            (size, now - started + rest[0])
            for size, started, *rest in in_flight
            if rest and rest[0] is not None
        ]
        if not paced:
            return self.model
        model = copy.copy(self.model)
        for size, seconds in paced:
            model.learn(size, seconds, in_line=False, measured=False)
        return model

    def in_flight_left(self, size: int, elapsed: float, left: float | None = None) -> float:
        """Seconds a running document still needs: its prediction minus what it
        has run, or, once it overruns, a share of its elapsed time.

        A document that reports its own pace (its pages) is taken at its
        word: a size cannot tell a slow 117-page scan from a quick 3 MB
        brochure, the pages it has done so far can."""
        elapsed = max(elapsed, 0.0)
        if left is not None:
            return max(left, 0.0)
        return max(self.model.predict(size) - elapsed, OVERRUN_SHARE * elapsed)

    def _has_evidence(self, now: float) -> bool:
        started = self._first_seen if self._first_seen is not None else now
        return self.model.documents >= self.min_documents and now - started >= self.min_seconds

    def _smoothed_finish(self, now: float, target: float, tail: float) -> float:
        """The shown finish time, drifting toward `target` or jumping when far off,
        and never before the longest running document ends.

        When that document alone sets the end (the queue fits around it), the
        target is its own news, not the cost model's noise, and is followed
        at once: a drift would keep an overtaken figure on screen for seconds.
        """
        finish = self._finish
        tail_sets_the_end = target - now <= tail * (1.0 + TAIL_TOLERANCE)
        if finish is None or tail_sets_the_end or abs(target - finish) > FAR_OFF * (target - now):
            finish = target
        else:
            follow = 1.0 - math.exp(-max(now - self._last_estimate, 0.0) / SMOOTHING_SECONDS)
            finish += follow * (target - finish)
        self._finish, self._last_estimate = max(finish, now + tail), now
        return self._finish

    def _note_time(self, now: float) -> None:
        if self._first_seen is None:
            self._first_seen = now


def makespan(
    queued_seconds: float,
    queued_docs: int,
    busy_for: Sequence[float],
    workers: int,
    dispersion: float,
) -> float:
    """Seconds until `workers` workers finish the queue and the running documents.

    The queued work is poured like water over the workers' free times (a worker
    tied up by a long document takes no share), then the ragged end is added:
    workers take their last documents at different moments, and the batch ends
    with the slowest of them, which depends on how unequal the costs are.
    """
    workers = max(1, workers)
    free_at = sorted(busy_for)[:workers]
    free_at += [0.0] * (workers - len(free_at))
    free_at.sort()
    level, poured = free_at[0], 0.0
    for count, free in enumerate(free_at, start=1):
        poured += free
        level = (queued_seconds + poured) / count
        if count == workers or level <= free_at[count]:
            break
    if queued_docs > 0:
        mean_cost = queued_seconds / queued_docs
        last = min(queued_docs, workers)
        mean_residual = mean_cost * dispersion / 2.0
        harmonic = sum(1.0 / i for i in range(1, last + 1))
        level = max(level + mean_residual * (harmonic - last / workers), free_at[0] + mean_cost)
    return max(level, max(busy_for, default=0.0))
