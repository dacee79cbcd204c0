"""An input for a folder path that completes folder names as you type."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlsplit

from textual import events
from textual.binding import Binding, BindingType
from textual.suggester import Suggester
from textual.validation import ValidationResult, Validator
from textual.widgets import Input

MAX_ENTRIES_SCANNED = 5000
"""Stop looking for a completion after this many entries of a huge folder."""


def clean_path(text: str) -> str:
    """A pasted path without what came with it: surrounding blanks, the quotes a
    file manager or a shell adds, a `file://` URL's scheme and %-escapes."""
    path = text.strip()
    if len(path) >= 2 and path[0] == path[-1] and path[0] in "'\"":
        path = path[1:-1]
    if path.startswith("file://"):
        url = urlsplit(path)
        if url.netloc in ("", "localhost"):
            path = unquote(url.path)
    return path


def expand(text: str) -> Path:
    """A typed or pasted path as the file system understands it (`~` expanded)."""
    return Path(os.path.expanduser(clean_path(text)))


def folder_problem(text: str) -> str | None:
    """Why `text` is not a readable folder, or None if it is one."""
    shown = clean_path(text)
    if not shown:
        return "Type or choose a folder"
    path = expand(text)
    if not path.exists():
        return f"No such folder: {shown}"
    if not path.is_dir():
        return f"Not a folder: {shown}"
    if not os.access(path, os.R_OK | os.X_OK):
        return f"Folder not readable: {shown}"
    return None


def complete_folder(value: str) -> str | None:
    """What `value` completes to as a shell would: the one sub-folder name it
    starts, with a slash; or, when several do, their longest common start.
    None when nothing would be added (no match, or several that go no further)."""
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
                if entry.name.startswith(partial):
                    if partial or not entry.name.startswith("."):
                        try:
                            if entry.is_dir():
                                names.append(entry.name)
                        except OSError:
                            continue
    except OSError:
        return None
    if len(names) == 1:
        return None if names[0] == partial else value + names[0][len(partial):] + "/"
    common = os.path.commonprefix(names)
    return value + common[len(partial):] if len(common) > len(partial) else None


class PathSuggester(Suggester):
    """Suggests what Tab would complete (Right or Tab accepts it)."""

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

    Tab completes as a shell does: only what is certain (the one folder the
    name starts, or the common start of several). It leaves a path that is
    already a folder as it is and moves on, as it does when there is nothing
    to complete. A pasted path loses its quotes and `file://`.
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
        if self.cursor_at_end and folder_problem(before) is not None:
            self.action_cursor_right()  # takes the suggestion, if there is one
        if self.value == before:
            self.screen.focus_next()

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input's own handler would paste it as it came
        super()._on_paste(events.Paste(clean_path(event.text)))
        event.stop()

    def action_paste(self) -> None:
        start, end = self.selection
        self.replace(clean_path(self.app.clipboard), start, end)
