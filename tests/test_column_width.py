"""Column widths and titles set after a DataTable column was added.

`tui.widgets.column_width` is the one place that reaches into DataTable's
private members; these tests fail first if a Textual upgrade changes them.
"""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from tui.widgets.column_width import set_title, set_widths


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Path", key="path", width=6)
        table.add_column("Error", key="error")
        table.add_row("a/b.pdf", "PdfReadError")


def header(table: DataTable[object]) -> str:
    return "".join(segment.text for segment in table.render_line(0))


def test_a_wider_column_widens_the_table_and_shows_more_of_its_cells():
    async def scenario() -> None:
        app = OneTable()
        async with app.run_test(size=(80, 10)) as pilot:
            table = app.query_one(DataTable)
            await pilot.pause()
            before = table.virtual_size.width
            assert "a/b.pdf" not in "".join(s.text for s in table.render_line(1))

            assert set_widths(table, {"path": 20, "missing": 5})
            await pilot.pause()

            assert table.columns[ColumnKey("path")].width == 20
            assert table.virtual_size.width == before + 14
            assert "a/b.pdf" in "".join(s.text for s in table.render_line(1))
            assert not set_widths(table, {"path": 20})  # unchanged: nothing to redo

    asyncio.run(scenario())


def test_a_new_title_shows_in_the_header_at_once():
    async def scenario() -> None:
        app = OneTable()
        async with app.run_test(size=(80, 10)) as pilot:
            table = app.query_one(DataTable)
            await pilot.pause()
            assert "Path" in header(table)

            assert set_title(table, "path", "Files")
            await pilot.pause()

            assert "Files" in header(table) and "Path" not in header(table)
            assert not set_title(table, "path", "Files")
            assert not set_title(table, "missing", "Anything")

    asyncio.run(scenario())
