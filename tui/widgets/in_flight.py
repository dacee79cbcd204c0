"""The documents being processed now, oldest first, with how long each has run."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.events import InFlight, ProgressSnapshot
from tui.widgets import human
from tui.widgets.column_width import set_title, set_widths
from tui.widgets.short_path import MIN_PATH_WIDTH, ShortPath

SLOW_SECONDS = 30.0
"""A document running longer than this is shown in warning colours."""


class InFlightTable(DataTable[object]):
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
        self._longest_path = len("In flight")
        """Cells of the longest path (or title) shown so far."""

    def on_mount(self) -> None:
        self.add_column("In flight", key="path", width=self._longest_path)
        self.add_column("Size", key="size")
        self.add_column("Running for", key="age")
        self.add_column("Attempt", key="attempt")

    def on_resize(self, event: events.Resize) -> None:
        self._fit_path_column()

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
        wider = False
        for index, document in enumerate(documents):
            age = max(0.0, snapshot.now - document.started)
            style = "bold red" if age >= SLOW_SECONDS else ""
            shown_age = Text(f"{age:,.1f} s", style=style, justify="right")
            cells: dict[str, Text | ShortPath] = {
                "path": ShortPath(document.path),
                "size": Text(human.size(document.bytes), justify="right"),
                "age": shown_age,
                "attempt": Text(str(document.attempt), justify="right"),
            }
            key = str(index)
            if index == len(self._shown):
                self.add_row(*cells.values(), key=key)
                self._shown.append(document)
                wider = True
                continue
            if self._shown[index] != document:
                self._shown[index] = document
                for column, value in cells.items():
                    grows = value.cell_len > self.columns[ColumnKey(column)].content_width
                    wider = wider or grows
                    self.update_cell(key, column, value, update_width=grows)
            else:
                self.update_cell(key, "age", shown_age)
        if wider:
            self._longest_path = max([self._longest_path, *(cell_len(d.path) for d in documents)])
            self.call_after_refresh(self._fit_path_column)

    def _show_count(self, count: int) -> None:
        """Name how many documents are in flight in the first column's title: with
        more than the table shows (it is at most 8 rows), the rest are out of sight."""
        label = f"In flight ({count:,})" if count else "In flight"
        if set_title(self, "path", label) and cell_len(label) > self._longest_path:
            self._longest_path = cell_len(label)
            self._fit_path_column()

    def _fit_path_column(self) -> None:
        """The path column as wide as its longest path, within what the other
        columns leave, so the Attempt column stays in view at 60 columns."""
        column = self.columns.get(ColumnKey("path"))
        if column is None:
            return
        others = sum(c.get_render_width(self) for key, c in self.columns.items() if key != column.key)
        available = (self.scrollable_content_region.width or self.app.size.width) - others
        width = min(self._longest_path, max(MIN_PATH_WIDTH, available - 2 * self.cell_padding))
        set_widths(self, {"path": width})
