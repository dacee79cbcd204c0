"""The journal: every finished document's record, on disk as it lands.

JSON lines in the output folder, one header line then one record a line.
Each record is written to the file at once (so a `kill -9` of the controller
loses nothing already recorded) and made durable about once a second
(`sync_if_due` lets the engine sync a quiet journal too, so a power cut loses
at most a second). That sync writes back the whole output file system, so the
text files the records point to, which the workers do not fsync one by one
(that cost a one-page document a tenth of its time), are made durable with
the records that name them. (The kernel may still write a record back
before its text on its own; a resume checks each text and redoes a lost
one.) It runs in a thread of its own, because it also writes back whatever
else is waiting for that disk (a big copy in progress, say), and the
controller must not stall behind it; closing the journal waits for it.

The running batch holds an exclusive lock on the file (released by the
kernel however the process ends), so a second run cannot write into it.
The file only ever holds whole lines: a write that fails half way (the disk
is full) is cut back to the last whole record, and a line cut short by a crash
is ignored when the journal is read back and dropped when it is reopened.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from tui.atomic import sync_file_system, sync_folder
from tui.events import DocumentRecord

JOURNAL_NAME = "docpool-journal.jsonl"
FORMAT_VERSION = 1
FSYNC_SECONDS = 1.0
_TAIL_CHUNK = 64 * 1024


def journal_path(output: Path) -> Path:
    return Path(output) / JOURNAL_NAME


def journal_exists(output: Path) -> bool:
    """Whether `output` already holds an earlier run's journal."""
    return journal_path(output).is_file()


class JournalError(Exception):
    """The journal cannot be used (wrong folder, unreadable...)."""


def journal_in_use(output: Path) -> bool:
    """Whether a live docpool run holds the journal in `output` (a killed one holds nothing)."""
    try:
        descriptor = os.open(journal_path(output), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)
    return False


def has_header(output: Path) -> bool:
    """Whether the journal got as far as its header line (a run killed at once may not)."""
    try:
        with open(journal_path(output), "rb") as file:
            return file.readline().endswith(b"\n")
    except OSError:
        return False


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
    for _, record in read_records_at(output):
        yield record


def read_records_at(output: Path) -> Iterator[tuple[int, DocumentRecord]]:
    """Every complete record with the byte offset it starts at.

    A line that is not a record (cut short by a crash, or damaged) is skipped.
    """
    with open(journal_path(output), "rb") as file:
        offset = len(file.readline())
        for line in file:
            position = offset
            offset += len(line)
            if not line.endswith(b"\n"):
                break
            try:
                fields = json.loads(line)
                yield position, DocumentRecord(**fields)
            except (ValueError, TypeError):
                continue


RECORD_FIELDS = fields(DocumentRecord)
"""A shallow copy per record: `asdict` deep-copies the processor's data,
which cost 1.7 s of controller CPU per 5,000 documents in the benchmark."""

_encode_line = json.JSONEncoder(separators=(",", ":")).encode
"""One encoder for every line: `json.dumps` with options builds a new one per call."""


class Journal:
    """Appends records to the journal; the one writer of a batch.

    Every method may raise OSError (a full disk...); the file is left holding
    whole lines all the same.
    """

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
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd: int | None = os.open(self.path, flags, 0o644)
        self._syncer = _Syncer(self._fd)
        try:
            self._lock()
            if not append:
                os.ftruncate(self._fd, 0)
            self._size = self._drop_partial_line() if append else 0
            if self._size == 0:
                self._write_line({"docpool_journal": FORMAT_VERSION, **header})
            os.fsync(self._fd)  # no text yet: the journal alone, not the whole disk
            sync_folder(self.path.parent)
        except BaseException:
            self.close_quietly()
            raise

    @property
    def size(self) -> int:
        """Bytes of whole lines in the journal."""
        return self._size

    def append(self, record: DocumentRecord) -> None:
        self._write_line({f.name: getattr(record, f.name) for f in RECORD_FIELDS})
        self._dirty = True
        self.sync_if_due()

    def sync_if_due(self) -> None:
        """Start a sync if something was written and the last one is a second old.

        Raises the OSError of an earlier sync that failed."""
        self._syncer.raise_failure()
        if self._dirty and self._clock() - self._last_sync >= FSYNC_SECONDS:
            self._syncer.request()
            self._last_sync = self._clock()
            self._dirty = False

    def close(self) -> None:
        """Finish any sync under way, sync what is left, and close: once this
        returns, every record and the text files they name are on disk."""
        if self._fd is None:
            return
        try:
            self._syncer.stop()
            self._syncer.raise_failure()
            if self._dirty:
                sync_file_system(self._fd)
                self._dirty = False
        finally:
            self.close_quietly()

    def close_quietly(self) -> None:
        self._syncer.stop()  # before the descriptor it syncs is closed
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def _write_line(self, fields: dict[str, Any]) -> None:
        assert self._fd is not None
        line = (_encode_line(fields) + "\n").encode("ascii")
        written = 0
        try:
            while written < len(line):
                written += os.write(self._fd, line[written:])
        except BaseException:
            if written:
                try:
                    os.ftruncate(self._fd, self._size)
                except OSError:
                    pass
            raise
        self._size += len(line)

    def _lock(self) -> None:
        """Hold the journal for this run: two runs must never write one journal."""
        assert self._fd is not None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OSError(errno.EBUSY, "in use by another docpool run", str(self.path)) from None

    def _drop_partial_line(self) -> int:
        """Cut a line left short by a crash, so it cannot swallow the next record."""
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        end = size
        with open(self.path, "rb") as reader:
            while end > 0:
                start = max(0, end - _TAIL_CHUNK)
                reader.seek(start)
                chunk = reader.read(end - start)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    end = start + newline + 1
                    break
                end = start
        if end != size:
            os.ftruncate(self._fd, end)
        return end


class _Syncer:
    """Writes back the journal's file system in a thread, when asked; one sync
    at a time, and requests made during one are served by a single next one."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor
        self._asked = threading.Condition()
        self._pending = False
        self._stopping = False
        self._failure: OSError | None = None
        self._thread = threading.Thread(target=self._serve, name="docpool-journal-sync", daemon=True)
        self._thread.start()

    def request(self) -> None:
        with self._asked:
            self._pending = True
            self._asked.notify()

    def stop(self) -> None:
        """Serve a pending request, then end the thread (wait for both)."""
        with self._asked:
            self._stopping = True
            self._asked.notify()
        self._thread.join()

    def raise_failure(self) -> None:
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def _serve(self) -> None:
        while True:
            with self._asked:
                while not self._pending and not self._stopping:
                    self._asked.wait()
                if not self._pending:
                    return
                self._pending = False
            try:
                sync_file_system(self._descriptor)
            except OSError as error:
                self._failure = error
