"""Find the PDFs under a folder, lazily and reproducibly.

A generator rather than a list, so a folder of a million PDFs costs the same
memory as one of a thousand and the first document starts at once. Entries are
sorted within each folder so two runs see the same order.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Document:
    """A PDF found under the batch folder."""

    path: Path
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


def iter_documents(
    folder: Path,
    exclude: Path | None = None,
    follow_symlinks: bool = False,
    on_unreadable: Callable[[Unreadable], None] | None = None,
) -> Iterator[Document]:
    """Yield every `*.pdf` (any case) under `folder`, depth first, sorted by name.

    `exclude` is a folder to leave out (the output folder, when it sits inside
    the input). Symlinks are not followed unless asked; when they are, each
    directory is entered once, so a symlink loop ends. A file or folder that
    cannot be read is passed to `on_unreadable` rather than stopping the walk.
    """
    root = Path(folder)
    excluded = _identity(exclude) if exclude is not None else None
    seen_dirs: set[tuple[int, int]] = set()
    root_id = _identity(root)
    if root_id is not None:
        seen_dirs.add(root_id)
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError as error:
            if on_unreadable is not None and prefix:
                on_unreadable(Unreadable(prefix.rstrip("/") + "/", *_reason(error)))
            continue
        subfolders: list[tuple[Path, str]] = []
        for entry in entries:
            relative = prefix + entry.name
            try:
                is_link = entry.is_symlink()
                if is_link and not follow_symlinks:
                    continue
                info = entry.stat(follow_symlinks=True)
            except OSError as error:
                if on_unreadable is not None:
                    if _is_real_dir(entry):
                        on_unreadable(Unreadable(relative + "/", *_reason(error)))
                    elif is_pdf_name(entry.name):
                        on_unreadable(Unreadable(relative, *_reason(error)))
                continue
            if stat.S_ISDIR(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity in seen_dirs or identity == excluded:
                    continue
                seen_dirs.add(identity)
                subfolders.append((Path(entry.path), relative + "/"))
            elif stat.S_ISREG(info.st_mode) and is_pdf_name(entry.name):
                yield Document(Path(entry.path), relative, info.st_size, info.st_mtime)
        stack.extend(reversed(subfolders))


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
