"""What the engine reports while a batch runs.

Every event is a plain frozen dataclass: the headless printer turns them into
lines, the Textual app wraps them in messages. Neither face reaches into the
engine, and the engine never calls either of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DocumentStatus = Literal["succeeded", "failed", "skipped", "not_processed"]
BatchStatus = Literal["completed", "cancelled", "interrupted"]


@dataclass(frozen=True)
class DocumentRecord:
    """The outcome of one document, as journalled and reported."""

    path: str
    """Path relative to the batch folder, with forward slashes."""
    status: DocumentStatus
    bytes: int = 0
    mtime: float = 0.0
    pages: int = 0
    seconds: float = 0.0
    """Wall time of the last attempt, in the worker."""
    error: str = ""
    """Exception type name, or one of `timeout`, `crashed`, `memory`, `encrypted`."""
    message: str = ""
    attempts: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    """Whatever the processor returned (metadata, character counts...)."""


@dataclass(frozen=True)
class InFlight:
    """A document that a worker is processing now."""

    path: str
    bytes: int
    started: float
    """Clock time at which the current attempt started."""
    attempt: int = 1


@dataclass(frozen=True)
class Totals:
    """Running counts. `discovered` is None until discovery has finished."""

    discovered: int | None = None
    discovered_bytes: int | None = None
    succeeded: int = 0
    failed: int = 0
    skipped: int = 0
    pages: int = 0
    bytes_done: int = 0

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.skipped


@dataclass(frozen=True)
class ProgressSnapshot:
    """Everything a progress display needs, at one instant."""

    elapsed: float
    totals: Totals
    in_flight: tuple[InFlight, ...]
    workers: int
    paused: bool
    eta_seconds: float | None
    """Estimated seconds to the end, or None while estimating."""
    docs_per_second: float
    pages_per_second: float
    bytes_per_second: float
    now: float
    """Clock time of the snapshot, so in-flight ages can be shown."""


@dataclass(frozen=True)
class BatchStarted:
    folder: str
    output: str
    workers: int
    """The most documents that run at once; worker processes start only as
    documents need them, so a small batch may never have this many."""
    processor: str
    resumed: int = 0
    """Documents taken over from an earlier run's journal."""


@dataclass(frozen=True)
class DocumentStarted:
    document: InFlight


@dataclass(frozen=True)
class DocumentFinished:
    record: DocumentRecord


@dataclass(frozen=True)
class Progress:
    snapshot: ProgressSnapshot


@dataclass(frozen=True)
class BatchFinished:
    status: BatchStatus
    snapshot: ProgressSnapshot
    report_path: str
    """Where report.json was written ('' if it could not be written)."""
    not_processed: int
    problem: str = ""
    """A one-line reason when the batch stopped on its own (disk full...)."""
    removed: int = 0
    """Documents an earlier run recorded that are no longer in the folder,
    left out of the report (resume only)."""


Event = BatchStarted | DocumentStarted | DocumentFinished | Progress | BatchFinished
