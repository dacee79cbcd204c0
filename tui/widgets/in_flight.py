"""The documents being processed now, oldest first, with how long each has run."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from tui.events import ProgressSnapshot
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

    def on_mount(self) -> None:
        self.add_column("In flight", key="path")
        self.add_column("Size", key="size")
        self.add_column("Running for", key="age")
        self.add_column("Attempt", key="attempt")

    def show(self, snapshot: ProgressSnapshot) -> None:
        self.clear()
        for document in sorted(snapshot.in_flight, key=lambda d: d.started):
            age = max(0.0, snapshot.now - document.started)
            style = "bold red" if age >= SLOW_SECONDS else ""
            self.add_row(
                Text(document.path, no_wrap=True, overflow="ellipsis"),
                Text(human.size(document.bytes), justify="right"),
                Text(f"{age:,.1f} s", style=style, justify="right"),
                Text(str(document.attempt), justify="right"),
            )
