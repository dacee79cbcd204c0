"""A probe, not part of docpool: the discovery change proposed in BENCHMARKS.md.

`tui.discover.iter_documents` sorts a directory's `os.DirEntry` objects and
then calls `entry.stat()`, which caches a stat result inside each entry; the
whole sorted list lives until the directory is done. In a flat folder of
100,000 PDFs that is about 1 KB per document, held twice while the counting
thread walks the same folder. This variant sorts bare names, stats each
name as it is yielded (nothing cached), and lets the counting thread, which
needs no order, stream the directory unsorted.

`python benchmarks/memory.py --probe-lean-discovery` runs docpool with it
patched in, to measure what the change would buy.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from tui.discover import Document, Unreadable, _identity, _reason, is_pdf_name


def iter_documents(
    folder: Path,
    exclude: Path | None = None,
    follow_symlinks: bool = False,
    on_unreadable: Callable[[Unreadable], None] | None = None,
) -> Iterator[Document]:
    ordered = threading.current_thread().name != "docpool-count"
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
            if ordered:
                with os.scandir(directory) as scan:
                    names: Iterator[str] | list[str] = sorted(entry.name for entry in scan)
            else:
                names = (entry.name for entry in os.scandir(directory))
        except OSError as error:
            if on_unreadable is not None and prefix:
                on_unreadable(Unreadable(prefix.rstrip("/") + "/", _reason(error)))
            continue
        subfolders: list[tuple[str, str]] = []
        for name in names:
            path = os.path.join(directory, name)
            relative = prefix + name
            try:
                info = os.stat(path, follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    if not follow_symlinks:
                        continue
                    info = os.stat(path)
            except OSError as error:
                if is_pdf_name(name) and on_unreadable is not None:
                    on_unreadable(Unreadable(relative, _reason(error)))
                continue
            if stat.S_ISDIR(info.st_mode):
                identity = (info.st_dev, info.st_ino)
                if identity in seen_dirs or identity == excluded:
                    continue
                seen_dirs.add(identity)
                subfolders.append((path, relative + "/"))
            elif stat.S_ISREG(info.st_mode) and is_pdf_name(name):
                yield Document(Path(path), relative, info.st_size, info.st_mtime)
        stack.extend(reversed(subfolders))


def install() -> None:
    import tui.discover
    import tui.engine

    tui.discover.iter_documents = iter_documents
    tui.engine.iter_documents = iter_documents
