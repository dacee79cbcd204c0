"""An input for a folder path that completes folder names as you type."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.validation import ValidationResult, Validator
from textual.widgets import Input

MAX_ENTRIES_SCANNED = 5000
"""Stop looking for a completion after this many entries of a huge folder."""


def expand(text: str) -> Path:
    """A typed path as the file system understands it (`~` expanded)."""
    return Path(os.path.expanduser(text.strip()))


def folder_problem(text: str) -> str | None:
    """Why `text` is not a readable folder, or None if it is one."""
    if not text.strip():
        return "Type or choose a folder"
    path = expand(text)
    if not path.exists():
        return f"No such folder: {text.strip()}"
    if not path.is_dir():
        return f"Not a folder: {text.strip()}"
    if not os.access(path, os.R_OK | os.X_OK):
        return f"Folder not readable: {text.strip()}"
    return None


def complete_folder(value: str) -> str | None:
    """The first sub-folder name that extends `value`, as `value` plus the rest and a slash."""
    if not value:
        return None
    directory, _, partial = value.rpartition("/")
    if not _:
        directory, partial = ".", value
    elif not directory:
        directory = "/"
    try:
        with os.scandir(expand(directory)) as entries:
            names = []
            for count, entry in enumerate(entries):
                if count >= MAX_ENTRIES_SCANNED:
                    break
                if entry.name.startswith(partial) and entry.name != partial:
                    if partial or not entry.name.startswith("."):
                        try:
                            if entry.is_dir():
                                names.append(entry.name)
                        except OSError:
                            continue
    except OSError:
        return None
    if not names:
        return None
    return value + min(names)[len(partial):] + "/"


class PathSuggester(Suggester):
    """Suggests folder names under what has been typed so far (Right or Tab accepts)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await asyncio.to_thread(complete_folder, value)


class IsFolder(Validator):
    """Accepts a path to a readable folder."""

    def validate(self, value: str) -> ValidationResult:
        problem = folder_problem(value)
        return self.success() if problem is None else self.failure(problem)


class FolderInput(Input):
    """Where the user types or pastes the folder of PDFs to process.

    Tab takes the suggested completion, as a shell does, and moves on when
    there is none.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete", "Complete folder", show=False),
    ]

    DEFAULT_CSS = """
    FolderInput {
        width: 1fr;
    }
    """

    def __init__(self, value: str = "", *, id: str | None = None) -> None:
        super().__init__(
            value,
            placeholder="Folder of PDFs, e.g. ~/scans",
            suggester=PathSuggester(),
            validators=[IsFolder()],
            validate_on=["changed", "submitted"],
            id=id,
        )

    def action_complete(self) -> None:
        before = self.value
        if self.cursor_at_end:
            self.action_cursor_right()
        if self.value == before:
            self.screen.focus_next()
