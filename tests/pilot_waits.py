"""Waiting in Pilot scenarios for what a real batch or a background count does."""

from __future__ import annotations


async def wait_for(pilot, condition, seconds: float = 30.0) -> None:
    """Let the app run until `condition()` holds, or fail after `seconds`."""
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not met in time")
