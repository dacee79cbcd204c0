"""Everything known about one failed document."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tui.events import DocumentRecord
from tui.widgets import human


def describe_record(record: DocumentRecord) -> Text:
    text = Text()
    for label, value in (
        ("File", record.path),
        ("Error", record.error or "error"),
        ("Attempts", str(record.attempts)),
        ("Size", human.size(record.bytes)),
        ("Last attempt", f"{record.seconds:.2f} s"),
    ):
        text.append(f"{label:<14}", "dim")
        text.append(value + "\n", "bold")
    text.append("\nMessage\n", "dim")
    text.append(record.message or "(no message)")
    return text


class ErrorDetailScreen(ModalScreen[None]):
    """The full message of a failure, which the error table cuts to one line."""

    DEFAULT_CSS = """
    ErrorDetailScreen {
        align: center middle;
        & > Vertical {
            width: 90%;
            max-width: 110;
            height: auto;
            max-height: 90%;
            border: thick $error;
            background: $surface;
            padding: 1 2;
        }
        & VerticalScroll { height: auto; max-height: 100%; }
        & Button { dock: bottom; margin-top: 1; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="detail.close"),
    ]

    def __init__(self, record: DocumentRecord) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        """The Close button is docked, so it stays in the box however long the
        message; the text scrolls in what is left (Up/Down, PageUp/PageDown)."""
        with Vertical():
            yield Button("Close", id="close")
            with VerticalScroll(id="detail-scroll"):
                yield Static(describe_record(self.record), id="detail")

    def on_mount(self) -> None:
        self.query_one("#detail-scroll", VerticalScroll).focus()

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
