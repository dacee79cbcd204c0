"""What a worker makes of a processor's result before it goes into a record."""

from __future__ import annotations

import enum
import json

import pytest

from tui.worker import BadResult, _as_record_data


class Name(str):
    pass


class Pages(enum.IntEnum):
    TWO = 2


def as_json_returns_it(data: dict) -> dict:
    return json.loads(json.dumps(data))


def same_json(result: dict, expected: dict) -> bool:
    """Equal, and of the same types value by value (True is not 1, '1' is not 1)."""
    return json.dumps(result, sort_keys=True) == json.dumps(expected, sort_keys=True) and all(
        type(result[key]) is type(expected[key]) for key in expected
    )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"pages": 3, "encrypted": False, "title": "", "author": None},
        {"pages": 0, "ratio": 0.5, "zero": -0.0, "big": 10**30, "odd": "\ud800 é\n\x00"},
    ],
)
def test_a_flat_result_is_what_json_would_return_and_a_copy(data):
    result = _as_record_data(data)
    assert same_json(result, as_json_returns_it(data))
    assert result is not data


@pytest.mark.parametrize(
    "data",
    [
        {"pages": 1, "tags": ("a", "b")},
        {"pages": 1, "nested": {"depth": [1, 2.5, None]}},
        {1: "a key that is not a string", "pages": 1},
        {"pages": Pages.TWO},
        {"pages": 1, "name": Name("a str subclass")},
        {"pages": 1, "flag": True, "count": 1},
    ],
)
def test_any_other_result_is_what_json_returns(data):
    assert same_json(_as_record_data(data), as_json_returns_it(data))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"pages": 1, "score": float("nan")}, "not JSON"),
        ({"pages": 1, "score": float("inf")}, "not JSON"),
        ({"pages": 1, "when": object()}, "not JSON"),
        ({"pages": -1}, "pages=-1"),
        ({"pages": True}, "pages=True"),
        ({"pages": 1.0}, "pages=1.0"),
        (["not", "a", "dict"], "not a dict"),
    ],
)
def test_a_result_a_record_cannot_hold_is_refused(data, problem):
    with pytest.raises(BadResult, match=problem):
        _as_record_data(data)
