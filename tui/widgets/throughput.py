"""Documents, pages and bytes per second, with a sparkline of the recent rate."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Sparkline, Static

from tui.events import ProgressSnapshot
from tui.widgets import human

HISTORY = 120
"""Samples kept for the sparkline: one a screen refresh, so about 30 s."""


def describe_rates(snapshot: ProgressSnapshot) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for value, unit in (
        (human.rate(snapshot.docs_per_second), " docs/s"),
        (human.rate(snapshot.pages_per_second), " pages/s"),
        (human.rate(snapshot.bytes_per_second / 1_000_000), " MB/s"),
    ):
        text.append(value, "bold")
        text.append(unit + "   ", "dim")
    return text


class Throughput(Vertical):
    """The batch's speed now and over the last few seconds."""

    DEFAULT_CSS = """
    Throughput {
        height: auto;
        & Static { height: 1; }
        & Sparkline { height: 1; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history: deque[float] = deque(maxlen=HISTORY)

    def compose(self) -> ComposeResult:
        yield Static(Text("—"), id="rates")
        yield Sparkline([], id="history")

    def show(self, snapshot: ProgressSnapshot) -> None:
        """Show `snapshot`'s rates and add its docs/s to the history."""
        self.history.append(snapshot.docs_per_second)
        self.query_one("#rates", Static).update(describe_rates(snapshot), layout=False)
        self.query_one("#history", Sparkline).data = list(self.history)
