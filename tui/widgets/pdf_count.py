"""How many PDFs the chosen folder holds, counted in a background thread."""

from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import work
from textual.widgets import Static
from textual.worker import get_current_worker

from tui.discover import iter_documents
from tui.messages import FolderCounted
from tui.widgets import human

REPORT_SECONDS = 0.2
"""How often a long count shows how far it has got."""


def describe_count(documents: int, size: int, finished: bool) -> str:
    noun = "PDF" if documents == 1 else "PDFs"
    text = f"{human.count(documents)} {noun}, {human.size(size)}"
    return text if finished else f"Counting… {text} so far"


class PdfCount(Static):
    """Counts the PDFs under a folder without freezing the screen.

    A folder of a hundred thousand files takes a while to walk, so the count
    runs in a thread worker, reports as it goes, and is cancelled as soon as
    another folder is chosen.
    """

    DEFAULT_CSS = """
    PdfCount {
        width: 1fr;
        height: 1;
        color: $text-muted;
        &.-counted { color: $text; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.folder: Path | None = None
        self.documents: int | None = None
        """The final count of the current folder, None until known."""
        self.bytes: int | None = None

    def count(self, folder: Path | None) -> None:
        """Start counting `folder` (None clears), abandoning any count in progress."""
        self.folder = folder
        self.documents = self.bytes = None
        self.remove_class("-counted")
        self.workers.cancel_group(self, "count")
        if folder is None:
            self.update("")
            return
        self.update("Counting…")
        self._count(folder)

    @work(thread=True, exclusive=True, group="count", exit_on_error=False)
    def _count(self, folder: Path) -> None:
        worker = get_current_worker()
        documents = size = 0
        next_report = time.monotonic() + REPORT_SECONDS
        for document in iter_documents(
            folder, ordered=False, stop=lambda: worker.is_cancelled
        ):
            documents += 1
            size += document.bytes
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + REPORT_SECONDS
                self.post_message(FolderCounted(folder, documents, size, finished=False))
        if not worker.is_cancelled:
            self.post_message(FolderCounted(folder, documents, size, finished=True))

    def on_folder_counted(self, message: FolderCounted) -> None:
        if message.folder != self.folder:
            return
        if message.finished:
            self.documents, self.bytes = message.documents, message.bytes
            self.add_class("-counted")
        self.update(Text(describe_count(message.documents, message.bytes, message.finished)))
