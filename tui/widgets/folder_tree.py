"""A directory tree that shows folders only, for picking the batch folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from rich.text import TextType
from textual.widgets import DirectoryTree
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode


def root_label(path: Path) -> str:
    """How the tree names its root: the absolute path, `~` for the home folder.

    A tree rooted at `.` named its root `.` and showed only the folder icon.
    """
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no passwd entry
        return str(path)
    if path == home:
        return "~"
    if path.is_relative_to(home):
        return f"~/{path.relative_to(home)}"
    return str(path)


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

    def __init__(self, path: str | Path, *, id: str | None = None) -> None:
        super().__init__(self.validate_path(path), id=id)
        self.root.set_label(root_label(self.path))  # type: ignore[arg-type]

    def validate_path(self, path: str | Path) -> Path:
        return Path(os.path.abspath(os.path.expanduser(path)))

    def reset_node(
        self, node: TreeNode[DirEntry], label: TextType, data: DirEntry | None = None
    ) -> FolderTree:
        if node is self.root and data is not None:
            label = root_label(data.path)
        return super().reset_node(node, label, data)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".") and _is_folder(path)]


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False
