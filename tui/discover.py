"""Find the PDFs under a folder, lazily and reproducibly.

A generator rather than a list, so a folder of a million PDFs costs the same
memory as one of a thousand and the first document starts at once. Entries are
sorted within each folder so two runs see the same order; the sort holds a
folder's names packed in a few byte strings, not as one object per entry, so a
flat folder of a hundred thousand PDFs does not cost a hundred thousand objects.
"""

from __future__ import annotations

import heapq
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Document:
    """A PDF found under the batch folder."""

    path: str
    """Where to open it: a string, since a `Path` per document costs the
    controller more than anything else the walk does."""
    relative: str
    """Path relative to the batch folder, with forward slashes."""
    bytes: int
    mtime: float


@dataclass(frozen=True)
class Unreadable:
    """Something under the folder that could not be looked at (permission denied...)."""

    relative: str
    message: str
    error: str = "PermissionError"
    """The exception's type name, as a document's record gives it."""


def is_pdf_name(name: str) -> bool:
    return name.lower().endswith(".pdf")


SORT_RUN = 4096
"""Names sorted together before being packed; runs are merged lazily."""


def iter_documents(
    folder: Path,
    exclude: Path | None = None,
    follow_symlinks: bool = False,
    on_unreadable: Callable[[Unreadable], None] | None = None,
    ordered: bool = True,
    stop: Callable[[], bool] | None = None,
) -> Iterator[Document]:
    """Yield every `*.pdf` (any case) under `folder`, depth first, sorted by name.

    `exclude` is a folder to leave out (the output folder, when it sits inside
    the input). Symlinks are not followed unless asked; when they are, each
    directory is entered once, so a symlink loop ends. A file or folder that
    cannot be read is passed to `on_unreadable` rather than stopping the walk.
    `ordered=False` skips the sort, for a caller that only counts; `stop`
    ends the walk as soon as it returns true, even in a folder with no PDFs.
    """
    root = Path(folder)
    excluded = _identity(exclude) if exclude is not None else None
    seen_dirs: set[tuple[int, int]] = set()
    root_id = _identity(root)
    if root_id is not None:
        seen_dirs.add(root_id)
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            entries = _sorted_entries(directory) if ordered else _entries(directory)
        except OSError as error:
            if on_unreadable is not None and prefix:
                on_unreadable(Unreadable(prefix.rstrip("/") + "/", *_reason(error)))
            continue
        subfolders: list[tuple[str, str]] = []
        for name, listed_as_dir in entries:
            if stop is not None and stop():
                return
            path = os.path.join(directory, name)
            relative = prefix + name
            try:
                info = os.stat(path, follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    if not follow_symlinks:
                        continue
                    info = os.stat(path)
            except OSError as error:
                if on_unreadable is not None:
                    if listed_as_dir:
                        on_unreadable(Unreadable(relative + "/", *_reason(error)))
                    elif is_pdf_name(name):
                        on_unreadable(Unreadable(relative, *_reason(error)))
                continue
            if stat.S_ISDIR(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity in seen_dirs or identity == excluded:
                    continue
                seen_dirs.add(identity)
                subfolders.append((path, relative + "/"))
            elif stat.S_ISREG(info.st_mode) and is_pdf_name(name):
                yield Document(path, relative, info.st_size, info.st_mtime)
        stack.extend(reversed(subfolders))


def _entries(directory: str) -> Iterator[tuple[str, bool]]:
    """(name, listed as a folder) for each entry, in the order the file system gives.

    The folder is opened here, not on first use, so an unreadable one
    raises where the caller catches it.
    """
    scan = os.scandir(directory)

    def entries() -> Iterator[tuple[str, bool]]:
        with scan:
            for entry in scan:
                yield entry.name, _is_real_dir(entry)

    return entries()


def _sorted_entries(directory: str) -> Iterator[tuple[str, bool]]:
    """`_entries` sorted by name (bytewise), holding the names packed.

    Each run of SORT_RUN names is sorted and joined into one byte string;
    the runs are merged as they are read. A folder's kind rides behind its
    name after a \x01, which sorts before any character a name holds in
    practice, so the order is the names' own.
    """
    runs: list[bytes] = []
    run: list[bytes] = []
    with os.scandir(os.fsencode(directory)) as scan:
        for entry in scan:
            run.append(entry.name + (b"\x01d" if _is_real_dir(entry) else b"\x01f"))
            if len(run) == SORT_RUN:
                runs.append(b"\0".join(sorted(run)))
                run = []
    if run:
        runs.append(b"\0".join(sorted(run)))
    merged = heapq.merge(*(_unpack(packed) for packed in runs))
    return ((os.fsdecode(item[:-2]), item.endswith(b"d")) for item in merged)


def _unpack(packed: bytes) -> Iterator[bytes]:
    start = 0
    while True:
        end = packed.find(b"\0", start)
        if end < 0:
            yield packed[start:]
            return
        yield packed[start:end]
        start = end + 1


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _reason(error: OSError) -> tuple[str, str]:
    """The message and the error kind for an entry that could not be looked at."""
    return error.strerror or type(error).__name__, type(error).__name__


def _is_real_dir(entry: os.DirEntry) -> bool:
    """A folder (not a link to one), known from the listing alone, without a stat."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
