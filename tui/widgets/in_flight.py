"""The documents being processed now, oldest first, with how long each has run."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.events import InFlight, ProgressSnapshot
from tui.widgets import human

SLOW_SECONDS = 30.0
"""A document running longer than this is shown in warning colours."""


class InFlightTable(DataTable[Text]):
    """Documents in flight, so a hung one stands out by its age."""

    DEFAULT_CSS = """
    InFlightTable {
        height: auto;
        max-height: 9;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True, show_cursor=False)
        self.can_focus = False
        self._shown: list[InFlight] = []
        """The document in each row, by position."""

    def on_mount(self) -> None:
        self.add_column("In flight", key="path")
        self.add_column("Size", key="size")
        self.add_column("Running for", key="age")
        self.add_column("Attempt", key="attempt")

    def show(self, snapshot: ProgressSnapshot) -> None:
        """Show the documents oldest first, in rows reused by position.

        Adding or removing a row changes the table's size and costs the screen
        a layout; at hundreds of documents a second every refresh did that
        (~10 ms a frame of a main thread that shares the GIL with the batch).
        Reused rows only repaint, and a column widens only for a longer path.
        """
        documents = sorted(snapshot.in_flight, key=lambda d: d.started)
        self._show_count(len(documents))
        while self.row_count > len(documents):
            self.remove_row(str(self.row_count - 1))
            del self._shown[-1]
        for index, document in enumerate(documents):
            age = max(0.0, snapshot.now - document.started)
            style = "bold red" if age >= SLOW_SECONDS else ""
            shown_age = Text(f"{age:,.1f} s", style=style, justify="right")
            cells = {
                "path": Text(document.path, no_wrap=True, overflow="ellipsis"),
                "size": Text(human.size(document.bytes), justify="right"),
                "age": shown_age,
                "attempt": Text(str(document.attempt), justify="right"),
            }
            key = str(index)
            if index == len(self._shown):
                self.add_row(*cells.values(), key=key)
                self._shown.append(document)
                continue
            if self._shown[index] != document:
                self._shown[index] = document
                for column, value in cells.items():
                    wider = value.cell_len > self.columns[ColumnKey(column)].content_width
                    self.update_cell(key, column, value, update_width=wider)
            else:
                self.update_cell(key, "age", shown_age)

    def _show_count(self, count: int) -> None:
        """Name how many documents are in flight in the first column's title: with
        more than the table shows (it is at most 8 rows), the rest are out of sight."""
        label = f"In flight ({count:,})" if count else "In flight"
        column = self.columns[ColumnKey("path")]
        if column.label.plain == label:
            return
        column.label = Text(label)
        if column.label.cell_len > column.content_width:
            column.content_width = column.label.cell_len
            self._require_update_dimensions = True
        self._clear_caches()
        self.refresh()
