"""Ctrl+C, SIGTERM and a hang-up, from the first instant docpool runs.

Python raises KeyboardInterrupt wherever Ctrl+C lands, and SIGTERM or a
hang-up kill at once: during the half second docpool spends importing, that
would be a traceback, or a batch stopped without a report. So the command
first only remembers such a signal (`catch_early`), and whoever then runs the
batch takes them over (`route_to`), early ones included.

A signal that was ignored when docpool started stays ignored, as Unix tools
do: `nohup docpool run ...` must survive the hang-up it was started to
survive, and `docpool run ... &` in a script must not stop on Ctrl+C.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

Handler = Callable[[int, FrameType | None], object]

_early: list[int] = []


def catch_early() -> None:
    """Remember stop signals until `route_to` is called; keep ignored ones ignored."""
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _remember)


def route_to(handler: Handler) -> dict[int, object]:
    """Send the stop signals not ignored to `handler` from now on, and the ones
    that came early at once.

    Returns the handlers it replaced, to put back with `restore`.
    """
    replaced: dict[int, object] = {}
    for signum in STOP_SIGNALS:
        if signal.getsignal(signum) is signal.SIG_IGN:
            continue
        replaced[signum] = signal.signal(signum, handler)
    early = [signum for signum in _early if signum in replaced]
    _early.clear()
    for signum in early:
        handler(signum, None)
    return replaced


def restore(replaced: dict[int, object]) -> None:
    for signum, handler in replaced.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)  # type: ignore[arg-type]


def ignore_from_now_on() -> None:
    """Late signals cannot cut a report or the exit short."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _remember(signum: int, frame: FrameType | None) -> None:
    _early.append(signum)
