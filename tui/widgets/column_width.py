"""Giving a DataTable column a new width or title after it was added.

Textual's DataTable sizes a column when it is added, or from its cells as
they change; it has no public call that gives a column a width of the
caller's choosing later (Textualize/textual#6247, #3449). Both tables here
fit their path column to the terminal as it resizes, so they set the
column's `width` or `label` and then do what DataTable does itself after
such a change: drop its render caches and, for a width, ask for its size
again. Those two private members are used here alone, so a Textual upgrade
that renames them breaks this module, and tests/test_column_width.py fails
at once instead of a table silently keeping its old width.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def set_widths(table: DataTable[object], widths: Mapping[str, int]) -> bool:
    """Give the columns keyed in `widths` those widths; whether any changed."""
    changed = False
    for key, width in widths.items():
        column = table.columns.get(ColumnKey(key))
        if column is not None and column.width != width:
            column.width = width
            changed = True
    if changed:
        table._clear_caches()
        table._require_update_dimensions = True
        table.refresh()
    return changed


def set_title(table: DataTable[object], key: str, title: str) -> bool:
    """Retitle the column keyed `key` (its width stays); whether it changed."""
    column = table.columns.get(ColumnKey(key))
    if column is None or column.label.plain == title:
        return False
    column.label = Text(title)
    table._clear_caches()
    table.refresh()
    return True
