"""A path cut in the middle to the width a table column gives it."""

from __future__ import annotations

from rich.cells import cell_len, get_character_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

MIN_PATH_WIDTH = 12
"""Below this a path says too little to be worth its column."""

ELLIPSIS = "…"


def _head(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells`."""
    used = 0
    for index, character in enumerate(text):
        used += get_character_cell_size(character)
        if used > cells:
            return text[:index]
    return text


def _tail(text: str, cells: int) -> str:
    """The longest end of `text` that fits in `cells`."""
    return _head(text[::-1], cells)[::-1]


def shorten_path(path: str, width: int) -> str:
    """`path` in at most `width` cells, cut in the middle so the file name stays.

    Rows of one deep folder would otherwise all read the same.
    """
    if cell_len(path) <= width:
        return path
    if width <= 1:
        return ELLIPSIS[:width]
    budget = width - 1
    slash = path.rfind("/")
    name = path[slash:] if slash > 0 else path
    if cell_len(name) < budget:
        return _head(path, budget - cell_len(name)) + ELLIPSIS + name
    name = name.lstrip("/")
    head = _head(name, budget // 2)
    return head + ELLIPSIS + _tail(name, budget - cell_len(head))


class ShortPath:
    """A path that shortens itself in the middle to the width it is given."""

    def __init__(self, path: str) -> None:
        self.path = path.replace("\n", "\\n")

    def __str__(self) -> str:
        return self.path

    @property
    def cell_len(self) -> int:
        return cell_len(self.path)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(shorten_path(self.path, options.max_width), no_wrap=True, end="")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self.cell_len
        return Measurement(min(width, MIN_PATH_WIDTH), width)
