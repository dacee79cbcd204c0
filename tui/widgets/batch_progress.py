"""The batch's progress: a bar, documents, pages and bytes, the ETA and elapsed time."""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from tui.events import ProgressSnapshot
from tui.widgets import human


GAP = "   "
"""Between two pieces on one line."""


class Pieces:
    """Pieces of text side by side, wrapped between pieces and never inside one:
    at 60 columns "Data 1.3 GiB / 3.2 GiB" takes a line of its own rather than
    being cut off at the panel's edge."""

    def __init__(self, *pieces: Text) -> None:
        self.pieces = pieces

    def lines(self, width: int) -> list[Text]:
        lines = [Text(no_wrap=True, overflow="ellipsis")]
        for piece in self.pieces:
            line = lines[-1]
            if line.cell_len and line.cell_len + len(GAP) + piece.cell_len > width:
                line = Text(no_wrap=True, overflow="ellipsis")
                lines.append(line)
            if line.cell_len:
                line.append(GAP, "dim")
            line.append_text(piece)
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = [piece.cell_len for piece in self.pieces]
        return Measurement(max(widths, default=0), sum(widths) + len(GAP) * len(widths))


def describe_progress(snapshot: ProgressSnapshot) -> Pieces:
    totals = snapshot.totals
    documents = Text()
    documents.append("Documents ", "dim")
    documents.append(human.count(totals.done), "bold")
    documents.append(" / " + (human.count(totals.discovered) if totals.discovered is not None else "counting…"))
    if totals.failed:
        documents.append("  ")
        documents.append(f"{human.count(totals.failed)} failed", "bold red")
    pages = Text.assemble(("Pages ", "dim"), (human.count(totals.pages), "bold"))
    data = Text.assemble(
        ("Data ", "dim"),
        (human.size(totals.bytes_done), "bold"),
        " / " + (human.size(totals.discovered_bytes) if totals.discovered_bytes is not None else "counting…"),
    )
    return Pieces(documents, pages, data)


def describe_time(snapshot: ProgressSnapshot) -> Pieces:
    eta = Text.assemble(("ETA ", "dim"))
    if snapshot.paused:
        eta.append("paused", "bold yellow")
    else:
        eta.append(human.eta(snapshot.eta_seconds), "bold")
    elapsed = Text.assemble(("Elapsed ", "dim"), (human.duration(snapshot.elapsed), "bold"))
    return Pieces(eta, elapsed)


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
        & Static { height: auto; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._heights: dict[str, int] = {}
        """Lines each figure took when last shown: the layout is redone only when that changes."""

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="bar")
        yield Static(Text("Documents 0 / counting…"), id="figures")
        yield Static(Text("ETA estimating…"), id="times")

    def show(self, snapshot: ProgressSnapshot) -> None:
        totals = snapshot.totals
        bar = self.query_one("#bar", ProgressBar)
        if totals.discovered is not None:
            bar.update(total=max(totals.discovered, 1), progress=totals.done)
        self._update("figures", describe_progress(snapshot))
        self._update("times", describe_time(snapshot))

    def _update(self, name: str, pieces: Pieces) -> None:
        static = self.query_one(f"#{name}", Static)
        height = len(pieces.lines(static.content_size.width or self.app.size.width))
        static.update(pieces, layout=height != self._heights.get(name))
        self._heights[name] = height
