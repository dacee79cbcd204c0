"""Every failed document, one row each, filled in batches as failures arrive."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.events import DocumentRecord
from tui.widgets.column_width import set_widths
from tui.widgets.short_path import MIN_PATH_WIDTH, ShortPath

MESSAGE_WIDTH = 50
"""Characters of the message shown in the table; the detail screen shows all."""

FILE_SHARE = 0.4
"""At most this share of the table's width goes to the File column, so the
Error column stays in view at 80 columns however deep the paths are."""

ELLIPSIS = "…"


def one_line(message: str, width: int = MESSAGE_WIDTH) -> str:
    line = " ".join(message.split())
    return line if len(line) <= width else line[: width - 1] + ELLIPSIS


class ErrorTable(DataTable[object]):
    """Failed documents: file, error type, attempts, message. Select a row for the detail."""

    DEFAULT_CSS = """
    ErrorTable {
        height: 1fr;
        min-height: 3;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.records: list[DocumentRecord] = []
        """The records shown, in row order (the row key is the index)."""
        self._longest = {"path": 4, "error": 5, "attempts": 8, "message": 7}
        """Cells of each column's widest value so far (at first, its title's)."""

    def on_mount(self) -> None:
        self.add_column("File", key="path", width=self._longest["path"])
        self.add_column("Error", key="error")
        self.add_column("Attempts", key="attempts")
        self.add_column("Message", key="message", width=self._longest["message"])

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns()

    @property
    def file_width(self) -> int:
        """The File column's width now: the longest path, within its share of the table."""
        return self.columns[ColumnKey("path")].width

    def add_records(self, records: Iterable[DocumentRecord]) -> None:
        rows = []
        keys = []
        longest = self._longest
        for record in records:
            keys.append(str(len(self.records)))
            self.records.append(record)
            path = ShortPath(record.path)
            error = Text(record.error or "error", style="red")
            attempts = Text(str(record.attempts), justify="right")
            message = Text(one_line(record.message), no_wrap=True, overflow="ellipsis")
            for column, cell in (("path", path), ("error", error), ("attempts", attempts), ("message", message)):
                longest[column] = max(longest[column], cell.cell_len)
            rows.append((path, error, attempts, message))
        for key, row in zip(keys, rows):
            self.add_row(*row, key=key)
        self._fit_columns()

    def _fit_columns(self) -> None:
        """File within its share of the width, and Message in what is left, so
        the table needs no sideways scrolling: its scrollbar would take one of
        few rows on a small terminal, and the detail screen shows the message."""
        available = self.scrollable_content_region.width or self.app.size.width
        cap = max(MIN_PATH_WIDTH, int(available * FILE_SHARE))
        file_width = min(self._longest["path"], cap)
        used = file_width + self._longest["error"] + self._longest["attempts"] + 8 * self.cell_padding
        message_width = max(1, min(self._longest["message"], available - used))
        set_widths(self, {"path": file_width, "message": message_width})

    def record_at(self, row_key: str) -> DocumentRecord:
        return self.records[int(row_key)]
