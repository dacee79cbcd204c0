"""A directory tree that shows folders only, for picking the batch folder."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.widgets import DirectoryTree


class FolderTree(DirectoryTree):
    """Folders only: files would bury the folders in a folder of PDFs.

    Hidden folders are left out too; type their path to pick one.
    """

    DEFAULT_CSS = """
    FolderTree {
        height: 1fr;
        min-height: 5;
        border: tall $border-blurred;
        &:focus { border: tall $border; }
    }
    """

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".") and _is_folder(path)]


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
