"""The batch's progress: a bar, documents, pages and bytes, the ETA and elapsed time."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from tui.events import ProgressSnapshot
from tui.widgets import human


def describe_progress(snapshot: ProgressSnapshot) -> Text:
    totals = snapshot.totals
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Documents ", "dim")
    text.append(human.count(totals.done), "bold")
    text.append(" / " + (human.count(totals.discovered) if totals.discovered is not None else "counting…"))
    if totals.failed:
        text.append("  ")
        text.append(f"{human.count(totals.failed)} failed", "bold red")
    text.append("   Pages ", "dim")
    text.append(human.count(totals.pages), "bold")
    text.append("   Data ", "dim")
    text.append(human.size(totals.bytes_done), "bold")
    text.append(
        " / " + (human.size(totals.discovered_bytes) if totals.discovered_bytes is not None else "counting…")
    )
    return text


def describe_time(snapshot: ProgressSnapshot) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("ETA ", "dim")
    if snapshot.paused:
        text.append("paused", "bold yellow")
    else:
        text.append(human.eta(snapshot.eta_seconds), "bold")
    text.append("   Elapsed ", "dim")
    text.append(human.duration(snapshot.elapsed), "bold")
    return text


class BatchProgress(Vertical):
    """How far the batch has got and how long it has to go.

    The bar stays indeterminate until the engine knows the total
    (`Totals.discovered is None`); the ETA is the engine's, not the bar's.
    """

    DEFAULT_CSS = """
    BatchProgress {
        height: auto;
        & ProgressBar { width: 1fr; }
        & ProgressBar Bar { width: 1fr; }
        & Static { height: 1; }
    }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="bar")
        yield Static(Text("Documents 0 / counting…"), id="figures")
        yield Static(Text("ETA estimating…"), id="times")

    def show(self, snapshot: ProgressSnapshot) -> None:
        totals = snapshot.totals
        bar = self.query_one("#bar", ProgressBar)
        if totals.discovered is not None:
            bar.update(total=max(totals.discovered, 1), progress=totals.done)
        self.query_one("#figures", Static).update(describe_progress(snapshot), layout=False)
        self.query_one("#times", Static).update(describe_time(snapshot), layout=False)
