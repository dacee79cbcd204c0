"""What a finished batch did, and where its report is."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.events import BatchFinished
from tui.widgets import human

HEADLINES = {
    "completed": ("Batch completed", "bold green"),
    "cancelled": ("Batch cancelled", "bold yellow"),
    "interrupted": ("Batch interrupted", "bold red"),
}


def describe_finish(event: BatchFinished) -> Text:
    totals = event.snapshot.totals
    headline, style = HEADLINES.get(event.status, (f"Batch {event.status}", "bold"))
    text = Text()
    text.append(headline, style)
    text.append(f" after {human.duration(event.snapshot.elapsed)}\n\n")
    for label, value, value_style in (
        ("Succeeded", human.count(totals.succeeded), "bold green"),
        ("Failed", human.count(totals.failed), "bold red" if totals.failed else "bold"),
        ("Skipped", human.count(totals.skipped), "bold"),
        ("Not processed", human.count(event.not_processed), "bold"),
        ("Pages", human.count(totals.pages), "bold"),
        ("Data", human.size(totals.bytes_done), "bold"),
    ):
        text.append(f"{label:<15}", "dim")
        text.append(value + "\n", value_style)
    if event.removed:
        text.append(
            f"\n{human.count(event.removed)} recorded by the earlier run "
            f"{'is' if event.removed == 1 else 'are'} no longer in the folder: left out of the report\n",
            "dim",
        )
    if event.problem:
        text.append("\nProblem  ", "bold red")
        text.append(event.problem + "\n")
    text.append("\nReport  ", "dim")
    if event.report_path:
        text.append(event.report_path, "bold")
    else:
        text.append("could not be written", "bold red")
    return text


class BatchSummary(Static):
    """Replaces the live view when a batch ends: its figures and its report's path."""

    DEFAULT_CSS = """
    BatchSummary {
        height: auto;
        padding: 1 2;
    }
    """

    def show(self, event: BatchFinished) -> None:
        self.update(describe_finish(event))
