"""How numbers read on the pages: one formatting rule for every table and card.

Counts print as integers, rates with a fixed number of decimals, and an undefined value
(None, NaN) prints as an en dash, never as 0, so "nothing to measure" is never read as
"measured zero".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

UNDEFINED = "–"


@dataclass(frozen=True)
class Cell:
    """A formatted value and the raw number behind it (for sorting; None when undefined)."""

    text: str
    value: float | int | None

    @property
    def sort_key(self) -> str:
        """The raw value as the `data-sort` attribute the client-side sorter reads."""
        return "" if self.value is None else repr(self.value)


def finite_number(value: Any) -> float | int | None:
    """`value` when it is a finite int or float; None for None, NaN, booleans, text and the rest."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cell(value: Any, digits: int | None = None) -> Cell:
    """Format one metric: `digits` decimals for rates, an integer for counts (digits=None).

    Anything that is not a finite number is undefined rather than guessed at.
    """
    number = finite_number(value)
    if number is None:
        return Cell(UNDEFINED, None)
    if digits is None:
        return Cell(str(round(number)), round(number))
    return Cell(f"{number:.{digits}f}", float(number))


def interval_bounds(interval: Any) -> tuple[float, float] | None:
    """The (low, high) of a bootstrap interval given as a mapping or a pair, else None."""
    if isinstance(interval, Mapping):
        low, high = interval.get("low"), interval.get("high")
    elif isinstance(interval, Sequence) and not isinstance(interval, str) and len(interval) == 2:
        low, high = interval
    else:
        return None
    low_value, high_value = finite_number(low), finite_number(high)
    if low_value is None or high_value is None:
        return None
    return float(low_value), float(high_value)


def interval_text(interval: Any, digits: int = 3) -> str:
    """A 95% interval as "low–high" (compact enough for table cells), or the undefined mark."""
    bounds = interval_bounds(interval)
    if bounds is None:
        return UNDEFINED
    return f"{bounds[0]:.{digits}f}–{bounds[1]:.{digits}f}"
