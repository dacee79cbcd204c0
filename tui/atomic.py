"""Write a file so that no reader, and no crash, ever sees half of it."""

from __future__ import annotations

import functools
import os
import secrets
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

    Where the system allows (Linux, most local file systems), it is written
    as an unnamed file in `target`'s folder and given its name once whole: a
    writer killed mid-write leaves nothing, and a new file costs the folder
    one change instead of a create and a rename, which two workers writing
    into one folder wait on each other for. Otherwise, and when `target`
    already exists, it is written (or first named) under a temporary name and
    renamed over `target`. That name is beside `target`, or in `staging` when
    that folder is given and on the same file system: a writer killed
    mid-write (where no cleanup runs) then leaves its part in one known
    folder. On any error `target` keeps what it held before.

    `durable=False` skips the two fsyncs (file and folder): for files made
    durable in bulk by `sync_file_system`, because an fsync per file cost a
    one-page document about a tenth of its time. Whole-or-absent still holds
    for any crash short of a power cut.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary: Path | None = None
    descriptor = _open_unnamed(target.parent)
    if descriptor is None:
        descriptor, name = tempfile.mkstemp(
            dir=_temporary_folder(target.parent, staging), prefix=PART_PREFIX, suffix=PART_SUFFIX
        )
        temporary = Path(name)
        os.fchmod(descriptor, 0o666 & ~_UMASK)  # as open() would: mkstemp makes it private
    try:
        with os.fdopen(
            descriptor, "w", encoding="utf-8", errors=errors, newline=newline
        ) as file:
            yield file
            file.flush()
            if durable:
                os.fsync(file.fileno())
            if temporary is None:
                temporary = _name_unnamed(file.fileno(), target, staging)
        if temporary is not None:
            os.replace(temporary, target)
    except BaseException:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
        raise
    if durable:
        sync_folder(target.parent)


PART_PREFIX, PART_SUFFIX = ".tmp-", ".part"
"""How a temporary name looks, so that `clear_staging` removes only those."""


def _open_unnamed(folder: Path) -> int | None:
    """A new file in `folder` with no name yet (O_TMPFILE), or None where there is none to be had."""
    unnamed = getattr(os, "O_TMPFILE", None)
    if unnamed is None:
        return None
    try:
        descriptor = os.open(folder, unnamed | os.O_WRONLY, 0o666)  # the umask applies, as with open()
    except OSError:  # not on this file system (NFS, some FUSE), or an old kernel
        return None
    if _can_name_unnamed(descriptor):
        return descriptor
    os.close(descriptor)
    return None


_proc_fd_works: bool | None = None


def _can_name_unnamed(descriptor: int) -> bool:
    """Whether /proc/self/fd leads to open files, through which they are named.

    A sandbox may hide /proc or refuse it: found out only when a written
    document is to be named, every document would fail. Checked once.
    """
    global _proc_fd_works
    if _proc_fd_works is None:
        try:
            _proc_fd_works = os.path.samestat(
                os.stat(f"/proc/self/fd/{descriptor}"), os.fstat(descriptor)
            )
        except OSError:
            _proc_fd_works = False
    return _proc_fd_works


def _name_unnamed(descriptor: int, target: Path, staging: Path | None) -> Path | None:
    """Give the unnamed file its name: `target`, or, when that is taken, a
    temporary one that the caller renames over it (returned)."""
    try:
        _link(descriptor, target)
        return None
    except FileExistsError:
        pass
    return _link_aside(descriptor, _temporary_folder(target.parent, staging))


def _link_aside(descriptor: int, folder: Path) -> Path:
    """Name the unnamed file with a new temporary name in `folder`, and return it."""
    while True:
        temporary = folder / f"{PART_PREFIX}{secrets.token_hex(8)}{PART_SUFFIX}"
        try:
            _link(descriptor, temporary)
            return temporary
        except FileExistsError:
            continue


def _link(descriptor: int, name: Path) -> None:
    """Link the open file `descriptor` at `name`; it must not exist.

    `os.link` calls link(2), which would link /proc's symbolic link itself,
    unless a folder descriptor is given: then it calls linkat(2), which
    follows the link to the file. The descriptor is ignored, the path being
    absolute.
    """
    os.link(f"/proc/self/fd/{descriptor}", name, src_dir_fd=descriptor)


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
                if entry.name.startswith(PART_PREFIX) and entry.name.endswith(PART_SUFFIX):
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        pass
        os.rmdir(staging)
    except OSError:
        pass
