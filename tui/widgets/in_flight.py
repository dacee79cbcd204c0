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
        """Update the rows in place: clearing and refilling the table on every
        refresh forced a full layout and cost the event loop ~30 ms a frame."""
        wanted = {
            f"{document.path}\0{document.started}": document
            for document in sorted(snapshot.in_flight, key=lambda d: d.started)
        }
        for key in [row.value for row in self.rows if row.value not in wanted]:
            self.remove_row(key)
        for key, document in wanted.items():
            age = max(0.0, snapshot.now - document.started)
            style = "bold red" if age >= SLOW_SECONDS else ""
            shown_age = Text(f"{age:,.1f} s", style=style, justify="right")
            if key in self.rows:
                self.update_cell(key, "age", shown_age)
                continue
            self.add_row(
                Text(document.path, no_wrap=True, overflow="ellipsis"),
                Text(human.size(document.bytes), justify="right"),
                shown_age,
                Text(str(document.attempt), justify="right"),
                key=key,
            )
