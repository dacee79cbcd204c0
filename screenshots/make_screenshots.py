"""Regenerate the README's screenshots: `python screenshots/make_screenshots.py`.

The scenes are the snapshot tests' (tests/test_snapshots.py): fixed data, a
fixed clock, no live batch, so a screenshot changes only when the screen does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from test_snapshots import (  # noqa: E402
    SIZE,
    make_sample_folder,
    sample_app,
    show_error_detail,
    show_run,
    show_start,
)


async def finished_run(pilot: Pilot) -> None:
    await show_run(pilot, finished=True)


SCENES: dict[str, Callable[[Pilot], Awaitable[None]]] = {
    "start.svg": show_start,
    "run.svg": show_run,
    "error-detail.svg": show_error_detail,
    "summary.svg": finished_run,
}


async def screenshot(scene: Callable[[Pilot], Awaitable[None]]) -> str:
    app = sample_app()
    async with app.run_test(size=SIZE) as pilot:
        await scene(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        return app.export_screenshot(title="docpool")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        make_sample_folder(Path(folder))
        os.chdir(folder)
        os.environ["HOME"] = folder  # the tree names its root ~, not a temporary path
        for name, scene in SCENES.items():
            (HERE / name).write_text(asyncio.run(screenshot(scene)), encoding="utf-8")
            print(HERE / name)


if __name__ == "__main__":
    main()
