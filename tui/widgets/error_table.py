"""Every failed document, one row each, filled in batches as failures arrive."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from tui.events import DocumentRecord

MESSAGE_WIDTH = 50
"""Characters of the message shown in the table; the detail screen shows all."""


def one_line(message: str, width: int = MESSAGE_WIDTH) -> str:
    line = " ".join(message.split())
    return line if len(line) <= width else line[: width - 1] + "…"


class ErrorTable(DataTable[Text]):
    """Failed documents: file, error type, attempts, message. Select a row for the detail."""

    DEFAULT_CSS = """
    ErrorTable {
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.records: list[DocumentRecord] = []
        """The records shown, in row order (the row key is the index)."""

    def on_mount(self) -> None:
        self.add_column("File", key="path")
        self.add_column("Error", key="error")
        self.add_column("Attempts", key="attempts")
        self.add_column("Message", key="message")

    def add_records(self, records: Iterable[DocumentRecord]) -> None:
        rows = []
        keys = []
        for record in records:
            keys.append(str(len(self.records)))
            self.records.append(record)
            rows.append(
                (
                    Text(record.path, no_wrap=True, overflow="ellipsis"),
                    Text(record.error or "error", style="red"),
                    Text(str(record.attempts), justify="right"),
                    Text(one_line(record.message), no_wrap=True, overflow="ellipsis"),
                )
            )
        for key, row in zip(keys, rows):
            self.add_row(*row, key=key)

    def record_at(self, row_key: str) -> DocumentRecord:
        return self.records[int(row_key)]
