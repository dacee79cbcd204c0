"""Numbers in human form, shared by the app and the headless printer."""

from __future__ import annotations

import humanize


def short_duration(seconds: float | None) -> str:
    """`1h 02m`, `3m 07s`, `42s`; an em dash when unknown."""
    if seconds is None:
        return "—"
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def size(bytes_: float) -> str:
    """`1.4 MiB`."""
    return humanize.naturalsize(bytes_, binary=True, format="%.1f")
