"""The Slider widget on its own: keys, mouse, bounds and its Changed message.

Tests are plain functions that `asyncio.run` a Pilot scenario (no async plugin needed).
"""

from __future__ import annotations

import asyncio

from textual.app import App, ComposeResult

from tui.widgets.slider import Slider


class SliderApp(App[None]):
    def __init__(self, value: int = 4, minimum: int = 1, maximum: int = 8) -> None:
        super().__init__()
        self.slider = Slider(value, minimum=minimum, maximum=maximum, id="slider")
        self.changes: list[tuple[Slider, int]] = []

    def compose(self) -> ComposeResult:
        yield self.slider

    def on_slider_changed(self, message: Slider.Changed) -> None:
        self.changes.append((message.control, message.value))


def test_arrow_keys_home_and_end_move_it_within_bounds():
    asyncio.run(_arrow_keys_home_and_end_move_it_within_bounds())


async def _arrow_keys_home_and_end_move_it_within_bounds():
    app = SliderApp(value=4, maximum=8)
    async with app.run_test(size=(40, 5)) as pilot:
        app.slider.focus()
        await pilot.press("right", "right")
        assert app.slider.value == 6
        await pilot.press("left", "down")
        assert app.slider.value == 4
        await pilot.press("end", "right", "up")
        assert app.slider.value == 8
        await pilot.press("home", "left")
        assert app.slider.value == 1
        await pilot.pause()
    values = [value for _, value in app.changes]
    assert values == [5, 6, 5, 4, 8, 1]
    assert all(control is app.slider for control, _ in app.changes)


def test_value_set_in_code_is_clamped():
    asyncio.run(_value_set_in_code_is_clamped())


async def _value_set_in_code_is_clamped():
    app = SliderApp(value=99, maximum=8)
    async with app.run_test(size=(40, 5)):
        assert app.slider.value == 8
        app.slider.value = -3
        assert app.slider.value == 1


def test_a_click_puts_the_thumb_under_the_pointer():
    asyncio.run(_a_click_puts_the_thumb_under_the_pointer())


async def _a_click_puts_the_thumb_under_the_pointer():
    app = SliderApp(value=1, minimum=1, maximum=11)
    async with app.run_test(size=(40, 5)) as pilot:
        track = app.slider._track_width()
        left = app.slider.gutter.left
        await pilot.click("#slider", offset=(left + track - 1, 1))
        assert app.slider.value == 11
        await pilot.click("#slider", offset=(left, 1))
        assert app.slider.value == 1
        await pilot.click("#slider", offset=(left + (track - 1) // 2, 1))
        assert app.slider.value == 6


def test_dragging_follows_the_pointer():
    asyncio.run(_dragging_follows_the_pointer())


async def _dragging_follows_the_pointer():
    app = SliderApp(value=1, minimum=1, maximum=11)
    async with app.run_test(size=(40, 5)) as pilot:
        track = app.slider._track_width()
        left = app.slider.gutter.left
        await pilot.mouse_down("#slider", offset=(left, 1))
        await pilot.hover("#slider", offset=(left + track - 1, 1))
        await pilot.mouse_up("#slider", offset=(left + track - 1, 1))
        assert app.slider.value == 11
