"""What to do with an earlier run found in the output folder."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

JournalChoice = Literal["resume", "overwrite"]


class JournalChoiceScreen(ModalScreen[JournalChoice | None]):
    """Resume the earlier run, overwrite it, or go back (None).

    Only a finished or killed run reaches this question: the app refuses an
    output folder that a running batch holds before asking.
    """

    DEFAULT_CSS = """
    JournalChoiceScreen {
        align: center middle;
        & > Vertical {
            width: 72;
            max-width: 100%;
            height: auto;
            border: thick $primary;
            background: $surface;
            padding: 1 2;
        }
        & #explanation { margin-bottom: 1; }
        & Horizontal { height: auto; align-horizontal: right; }
        & Button { margin-left: 2; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('')", "Back", id="journal.back"),
        Binding("r", "choose('resume')", "Resume", id="journal.resume"),
        Binding("o", "choose('overwrite')", "Overwrite", id="journal.overwrite"),
    ]

    def __init__(self, output: str, cannot_resume: str = "") -> None:
        """`cannot_resume`: why this batch cannot resume that run (empty: it can)."""
        super().__init__()
        self.output = output
        self.cannot_resume = cannot_resume

    def compose(self) -> ComposeResult:
        question = (
            Text.assemble(
                self.cannot_resume,
                "\n\nOverwrite it (its text files are removed) and start again?",
            )
            if self.cannot_resume
            else Text(
                "Resume it (documents already done are kept), "
                "or overwrite it (its text files are removed) and start again?"
            )
        )
        with Vertical():
            yield Static(
                Text.assemble(
                    (self.output, "bold"),
                    " already holds an earlier docpool run.\n\n",
                    question,
                ),
                id="explanation",
            )
            with Horizontal():
                yield Button("Back (Esc)", id="back")
                yield Button("Overwrite (o)", id="overwrite", variant="warning")
                yield Button(
                    "Resume (r)", id="resume", variant="primary", disabled=bool(self.cannot_resume)
                )

    def on_mount(self) -> None:
        self.query_one("#back" if self.cannot_resume else "#resume", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("resume",):
            return not self.cannot_resume
        return True

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.action_choose(event.button.id or "")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice if choice in ("resume", "overwrite") else None)  # type: ignore[arg-type]
