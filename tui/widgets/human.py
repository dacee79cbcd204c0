"""Figures in the form people read: sizes, counts, durations, rates."""

from __future__ import annotations

from datetime import timedelta

import humanize

from tui import formatting


def count(number: int) -> str:
    return humanize.intcomma(number)


def size(number: int | float) -> str:
    """`1.4 MiB`, as the headless command says it."""
    return formatting.size(number)


def duration(seconds: float) -> str:
    """A precise elapsed time: `1 minute and 5 seconds`."""
    if seconds < 1:
        return "0 seconds"
    return humanize.precisedelta(timedelta(seconds=int(seconds)), minimum_unit="seconds")


def eta(seconds: float | None) -> str:
    """A rough time to go: `about 3 minutes`, or `estimating` while unknown."""
    if seconds is None:
        return "estimating…"
    if seconds < 1:
        return "any moment"
    return "about " + humanize.naturaldelta(timedelta(seconds=seconds))


def rate(per_second: float) -> str:
    if per_second >= 100:
        return f"{per_second:,.0f}"
    if per_second >= 10:
        return f"{per_second:.1f}"
    return f"{per_second:.2f}"
