"""Messages that background workers post to the screens.

The engine's events arrive here wrapped, and already coalesced by the thread
that runs the batch: progress replaces progress, failures come in batches. So
a screen handles a handful of messages a second however fast documents go.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.message import Message

from tui.events import BatchFinished, BatchStarted, DocumentRecord, ProgressSnapshot


@dataclass
class FolderCounted(Message):
    """How many PDFs a folder holds, so far or in all."""

    folder: Path
    """The folder counted (a late message about another folder is ignored)."""
    documents: int
    bytes: int
    finished: bool
    """False while the count is still going."""


@dataclass
class RunStarted(Message):
    """The engine started the batch and its workers."""

    event: BatchStarted


@dataclass
class RunProgress(Message):
    """The latest progress; a newer one replaces it if both are queued."""

    snapshot: ProgressSnapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunProgress)


@dataclass
class DocumentsFailed(Message):
    """Documents that failed since the last such message, oldest first."""

    records: tuple[DocumentRecord, ...]


@dataclass
class RunFinished(Message):
    """The batch ended and the engine wrote its report."""

    event: BatchFinished


@dataclass
class RunCrashed(Message):
    """The batch could not run at all (the engine raised before finishing)."""

    error: str
