"""A horizontal slider for a whole number, driven by keys or the mouse.

Textual has no slider. This one holds a reactive `value` kept inside
`minimum..maximum` by `validate_value`, posts `Slider.Changed` when it moves,
and draws its own value at the right so a screen need not wire a label to it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

THUMB = "●"
FILLED = "━"
EMPTY = "─"


class Slider(Widget, can_focus=True):
    """Pick a whole number between `minimum` and `maximum`.

    Left/Right (or Down/Up) move one step, Page Down/Page Up a tenth of the
    range, Home/End jump to the ends; a click or a drag puts the thumb under
    the pointer.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,down", "step(-1)", "Less", show=False),
        Binding("right,up", "step(1)", "More", show=False),
        Binding("pagedown", "jump(-1)", "Much less", show=False),
        Binding("pageup", "jump(1)", "Much more", show=False),
        Binding("home", "to_minimum", "Minimum", show=False),
        Binding("end", "to_maximum", "Maximum", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "slider--filled",
        "slider--empty",
        "slider--thumb",
        "slider--value",
    }

    DEFAULT_CSS = """
    Slider {
        width: 1fr;
        height: 3;
        padding: 0 1;
        border: tall $border-blurred;
        background: $surface;
        pointer: pointer;
        & > .slider--filled { color: $primary; }
        & > .slider--empty { color: $foreground 30%; }
        & > .slider--thumb { color: $foreground; text-style: bold; }
        & > .slider--value { color: $foreground; text-style: bold; }
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
            & > .slider--thumb { color: $accent; }
        }
        &:disabled { opacity: 50%; }
    }
    """

    ALLOW_SELECT = False

    value: reactive[int] = reactive(1, init=False)
    """The chosen number, always within `minimum..maximum`."""

    class Changed(Message):
        """The slider's value changed (by the user or by code)."""

        def __init__(self, slider: Slider, value: int) -> None:
            super().__init__()
            self.slider = slider
            self.value = value

        @property
        def control(self) -> Slider:
            return self.slider

    def __init__(
        self,
        value: int = 1,
        *,
        minimum: int = 1,
        maximum: int = 10,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
        tooltip: str | None = None,
    ) -> None:
        if maximum < minimum:
            raise ValueError(f"maximum {maximum} is below minimum {minimum}")
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.minimum = minimum
        self.maximum = maximum
        self._dragging = False
        self.set_reactive(Slider.value, self.validate_value(value))
        if tooltip is not None:
            self.tooltip = tooltip

    def validate_value(self, value: int) -> int:
        return max(self.minimum, min(self.maximum, int(value)))

    def watch_value(self, value: int) -> None:
        self.post_message(self.Changed(self, value))

    # Keys.

    def action_step(self, steps: int) -> None:
        self.value += steps

    def action_jump(self, direction: int) -> None:
        self.value += direction * max(1, (self.maximum - self.minimum) // 10)

    def action_to_minimum(self) -> None:
        self.value = self.minimum

    def action_to_maximum(self) -> None:
        self.value = self.maximum

    # Mouse.

    async def _on_mouse_down(self, event: events.MouseDown) -> None:
        if self.disabled:
            return
        self._dragging = True
        self.capture_mouse()
        self._move_to(event.get_content_offset_capture(self).x)
        event.stop()

    async def _on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging:
            self._move_to(event.get_content_offset_capture(self).x)

    async def _on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging:
            self._dragging = False
            self.release_mouse()

    def _move_to(self, x: int) -> None:
        """Set the value whose thumb position is nearest column `x` of the track."""
        track = self._track_width()
        if track <= 1 or self.maximum == self.minimum:
            return
        x = max(0, min(track - 1, x))
        self.value = self.minimum + round(x * (self.maximum - self.minimum) / (track - 1))

    # Drawing.

    def _label_width(self) -> int:
        return len(str(self.maximum)) + 1

    def _track_width(self) -> int:
        return max(1, self.content_size.width - self._label_width())

    def _thumb_column(self, track: int) -> int:
        span = self.maximum - self.minimum
        if span == 0 or track <= 1:
            return 0
        return round((self.value - self.minimum) * (track - 1) / span)

    def render(self) -> Text:
        track = self._track_width()
        thumb = self._thumb_column(track)
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="crop", end="")
        text.append(FILLED * thumb, style("slider--filled"))
        text.append(THUMB, style("slider--thumb"))
        text.append(EMPTY * max(0, track - thumb - 1), style("slider--empty"))
        text.append(str(self.value).rjust(self._label_width()), style("slider--value"))
        return text
