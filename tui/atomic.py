"""Write a file so that no reader, and no crash, ever sees half of it."""

from __future__ import annotations

import functools
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
"""Read once, at import: setting it to read it is not thread-safe."""


@contextmanager
def open_atomically(
    target: Path,
    newline: str | None = None,
    errors: str = "surrogateescape",
    staging: Path | None = None,
    durable: bool = True,
) -> Iterator[IO[str]]:
    """A text file that appears at `target` only once it is whole.

    It is written under a temporary name, fsynced, then renamed over it; on
    any error the temporary file is removed and `target` keeps what it held
    before. The temporary name is beside `target`, or in `staging` when that
    folder is given and on the same file system: a writer killed mid-write
    (where no cleanup runs) then leaves its part in one known folder.

    `durable=False` skips the two fsyncs (file and folder): for files made
    durable in bulk by `sync_file_system`, because an fsync per file cost a
    one-page document about a tenth of its time. Whole-or-absent still holds
    for any crash short of a power cut.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=_temporary_folder(target.parent, staging), prefix=".tmp-", suffix=".part"
    )
    try:
        os.fchmod(descriptor, 0o666 & ~_UMASK)  # as open() would: mkstemp makes it private
        with os.fdopen(
            descriptor, "w", encoding="utf-8", errors=errors, newline=newline
        ) as file:
            yield file
            file.flush()
            if durable:
                os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    if durable:
        sync_folder(target.parent)


def _temporary_folder(folder: Path, staging: Path | None) -> Path:
    if staging is None:
        return folder
    try:
        try:
            found = os.lstat(staging)  # a link there could lead anywhere: not followed
        except FileNotFoundError:
            staging.mkdir(exist_ok=True)
            found = os.lstat(staging)
        if stat.S_ISDIR(found.st_mode) and found.st_dev == os.stat(folder).st_dev:
            return staging
    except OSError:
        pass
    return folder  # a rename cannot cross file systems


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


def sync_file_system(descriptor: int) -> None:
    """Write back everything written so far to the file system holding `descriptor`.

    One call makes every file written there before it durable: Linux's
    syncfs(2), which Python does not wrap; elsewhere sync(2), every file
    system. Raises OSError when the write-back failed.
    """
    syncfs = _syncfs()
    if syncfs is None:
        os.sync()
        return
    if syncfs(descriptor) != 0:
        import ctypes

        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    import ctypes  # here: only the controller syncs, and only once a second

    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None


def write_atomically(
    target: Path,
    text: str,
    errors: str = "surrogateescape",
    staging: Path | None = None,
    durable: bool = True,
) -> None:
    with open_atomically(target, errors=errors, staging=staging, durable=durable) as file:
        file.write(text)


def clear_staging(staging: Path) -> None:
    """Remove the parts that killed writers left in `staging`, and the folder.

    Only call it when no writer can be using the folder: before the workers
    start, or once they are all gone.
    """
    try:
        if not stat.S_ISDIR(os.lstat(staging).st_mode):
            return
        with os.scandir(staging) as entries:
            for entry in entries:
                if entry.name.startswith(".tmp-") and entry.name.endswith(".part"):
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        pass
        os.rmdir(staging)
    except OSError:
        pass
