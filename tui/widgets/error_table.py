"""Every failed document, one row each, filled in batches as failures arrive."""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, get_character_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.events import DocumentRecord

MESSAGE_WIDTH = 50
"""Characters of the message shown in the table; the detail screen shows all."""

FILE_SHARE = 0.4
"""At most this share of the table's width goes to the File column, so the
Error column stays in view at 80 columns however deep the paths are."""

MIN_FILE_WIDTH = 12
ELLIPSIS = "…"


def one_line(message: str, width: int = MESSAGE_WIDTH) -> str:
    line = " ".join(message.split())
    return line if len(line) <= width else line[: width - 1] + ELLIPSIS


def _head(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells`."""
    used = 0
    for index, character in enumerate(text):
        used += get_character_cell_size(character)
        if used > cells:
            return text[:index]
    return text


def _tail(text: str, cells: int) -> str:
    """The longest end of `text` that fits in `cells`."""
    return _head(text[::-1], cells)[::-1]


def shorten_path(path: str, width: int) -> str:
    """`path` in at most `width` cells, cut in the middle so the file name stays.

    Rows of one deep folder would otherwise all read the same.
    """
    if cell_len(path) <= width:
        return path
    if width <= 1:
        return ELLIPSIS[:width]
    budget = width - 1
    slash = path.rfind("/")
    name = path[slash:] if slash > 0 else path
    if cell_len(name) < budget:
        return _head(path, budget - cell_len(name)) + ELLIPSIS + name
    name = name.lstrip("/")
    head = _head(name, budget // 2)
    return head + ELLIPSIS + _tail(name, budget - cell_len(head))


class ShortPath:
    """A path that shortens itself in the middle to the width it is given."""

    def __init__(self, path: str) -> None:
        self.path = path.replace("\n", "\\n")

    def __str__(self) -> str:
        return self.path

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(shorten_path(self.path, options.max_width), no_wrap=True, end="")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.path)
        return Measurement(min(width, MIN_FILE_WIDTH), width)


class ErrorTable(DataTable[object]):
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
        self._longest_path = len("File")

    def on_mount(self) -> None:
        self.add_column("File", key="path", width=self._longest_path)
        self.add_column("Error", key="error")
        self.add_column("Attempts", key="attempts")
        self.add_column("Message", key="message")

    def on_resize(self, event: events.Resize) -> None:
        self._fit_file_column()

    @property
    def file_width(self) -> int:
        """The File column's width now: the longest path, within its share of the table."""
        return self.columns[ColumnKey("path")].width

    def add_records(self, records: Iterable[DocumentRecord]) -> None:
        rows = []
        keys = []
        for record in records:
            keys.append(str(len(self.records)))
            self.records.append(record)
            path = ShortPath(record.path)
            self._longest_path = max(self._longest_path, cell_len(path.path))
            rows.append(
                (
                    path,
                    Text(record.error or "error", style="red"),
                    Text(str(record.attempts), justify="right"),
                    Text(one_line(record.message), no_wrap=True, overflow="ellipsis"),
                )
            )
        for key, row in zip(keys, rows):
            self.add_row(*row, key=key)
        self._fit_file_column()

    def _fit_file_column(self) -> None:
        available = self.scrollable_content_region.width or self.app.size.width
        cap = max(MIN_FILE_WIDTH, int(available * FILE_SHARE))
        width = min(self._longest_path, cap)
        column = self.columns.get(ColumnKey("path"))
        if column is None or column.width == width:
            return
        column.width = width
        self._clear_caches()
        self._require_update_dimensions = True
        self.refresh()

    def record_at(self, row_key: str) -> DocumentRecord:
        return self.records[int(row_key)]
