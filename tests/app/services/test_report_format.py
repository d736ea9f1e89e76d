"""Number formatting on the pages: undefined is "–", never 0; counts are integers."""

from __future__ import annotations

import math

import pytest

from app.services.report_format import UNDEFINED, Cell, cell, interval_bounds, interval_text


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.79714, 4, Cell("0.7971", 0.79714)),
        (2163, None, Cell("2163", 2163)),
        (0, None, Cell("0", 0)),
        (0.0, 3, Cell("0.000", 0.0)),
        (1, 4, Cell("1.0000", 1.0)),
        (None, 4, Cell(UNDEFINED, None)),
        (math.nan, 4, Cell(UNDEFINED, None)),
        (math.inf, None, Cell(UNDEFINED, None)),
        (True, None, Cell(UNDEFINED, None)),
        ("0.5", 3, Cell(UNDEFINED, None)),
    ],
)
def test_cell_formats_numbers_and_marks_undefined(
    value: object, digits: int | None, expected: Cell
) -> None:
    assert cell(value, digits) == expected


def test_sort_key_is_the_raw_value_or_empty() -> None:
    assert cell(0.25, 3).sort_key == "0.25"
    assert cell(None).sort_key == ""


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ({"low": 0.7712, "high": 0.8231}, "0.771–0.823"),
        ([0.1, 0.2], "0.100–0.200"),
        ((0, 1), "0.000–1.000"),
        ({"low": None, "high": 0.3}, UNDEFINED),
        ({"low": 0.1}, UNDEFINED),
        (None, UNDEFINED),
        ("0.1,0.2", UNDEFINED),
        ([0.1, 0.2, 0.3], UNDEFINED),
    ],
)
def test_interval_text(interval: object, expected: str) -> None:
    assert interval_text(interval) == expected


def test_interval_bounds_keep_fractions() -> None:
    assert interval_bounds({"low": 0.25, "high": 0.75}) == (0.25, 0.75)
