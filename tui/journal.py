"""The journal: every finished document's record, on disk as it lands.

JSON lines in the output folder, one header line then one record a line,
flushed at once and fsynced at most about once a second (an fsync per document
would cost more than a tiny document's processing). A crash of the controller
loses at most the documents that were in flight; a line cut short by the crash
is ignored when the journal is read back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from tui.events import DocumentRecord

JOURNAL_NAME = "docpool-journal.jsonl"
FORMAT_VERSION = 1
FSYNC_SECONDS = 1.0


def journal_path(output: Path) -> Path:
    return Path(output) / JOURNAL_NAME


def journal_exists(output: Path) -> bool:
    """Whether `output` already holds an earlier run's journal."""
    return journal_path(output).is_file()


class JournalError(Exception):
    """The journal cannot be used (wrong folder, unreadable...)."""


def read_header(output: Path) -> dict[str, Any]:
    path = journal_path(output)
    try:
        with open(path, encoding="utf-8") as file:
            header = json.loads(file.readline())
    except (OSError, ValueError) as error:
        raise JournalError(f"cannot read the journal {path}: {error}") from None
    if not isinstance(header, dict) or header.get("docpool_journal") != FORMAT_VERSION:
        raise JournalError(f"{path} is not a docpool journal")
    return header


def read_records(output: Path) -> Iterator[DocumentRecord]:
    """Every complete record in the journal, in the order written (later wins)."""
    path = journal_path(output)
    with open(path, "rb") as file:
        file.readline()
        for line in file:
            if not line.endswith(b"\n"):
                break
            try:
                fields = json.loads(line)
                yield DocumentRecord(**fields)
            except (ValueError, TypeError):
                continue


class Journal:
    """Appends records to the journal; the one writer of a batch."""

    def __init__(
        self,
        output: Path,
        header: dict[str, Any],
        append: bool,
        clock: Callable[[], float],
    ) -> None:
        self.path = journal_path(output)
        self._clock = clock
        self._last_sync = clock()
        self._dirty = False
        self._file: IO[bytes] = open(self.path, "ab" if append else "wb")  # noqa: SIM115
        if append:
            self._terminate_partial_line()
        else:
            self._write_line({"docpool_journal": FORMAT_VERSION, **header})
            self.sync()

    def append(self, record: DocumentRecord) -> None:
        self._write_line(asdict(record))
        self._dirty = True
        if self._clock() - self._last_sync >= FSYNC_SECONDS:
            self.sync()

    def sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._last_sync = self._clock()
        self._dirty = False

    def close(self) -> None:
        if self._file.closed:
            return
        try:
            self.sync()
        finally:
            self._file.close()

    def _write_line(self, fields: dict[str, Any]) -> None:
        line = json.dumps(fields, separators=(",", ":")) + "\n"
        self._file.write(line.encode("ascii"))
        self._file.flush()

    def _terminate_partial_line(self) -> None:
        """A line cut short by a crash must not swallow the next record."""
        size = self._file.seek(0, os.SEEK_END)
        if size == 0:
            return
        with open(self.path, "rb") as reader:
            reader.seek(size - 1)
            if reader.read(1) != b"\n":
                self._file.write(b"\n")
                self._file.flush()
