"""Write a file so that no reader, and no crash, ever sees half of it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def open_atomically(
    target: Path, newline: str | None = None, errors: str = "surrogateescape"
) -> Iterator[IO[str]]:
    """A text file that appears at `target` only once it is whole.

    It is written under a temporary name beside `target`, fsynced, then
    renamed over it; on any error the temporary file is removed and
    `target` keeps what it held before.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(
            descriptor, "w", encoding="utf-8", errors=errors, newline=newline
        ) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    sync_folder(target.parent)


def sync_folder(folder: Path) -> None:
    """Fsync a folder, so a file just created or renamed in it survives a power cut."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def write_atomically(target: Path, text: str, errors: str = "surrogateescape") -> None:
    with open_atomically(target, errors=errors) as file:
        file.write(text)
