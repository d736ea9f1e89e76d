"""Shared row handling: split lines into fields, then check and convert whole columns.

Valid files (the common case) are converted column-wise; only when a column holds a bad
value is the file walked line by line to name the first bad line and value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.profiles import AngleConvention, Profile
from evaluation.submission import Submission, SubmissionFormat

# Fields are separated by whitespace, or by a comma with optional whitespace around it.
_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def split_fields(line: str) -> list[str]:
    """Split a stripped, non-empty line into fields; ``""`` marks an empty CSV field."""
    fields = _SEPARATOR.split(line) if "," in line else line.split()
    return [field.strip('"') for field in fields] if '"' in line else fields


def parse_number(token: str, what: str, line: int) -> float:
    """Return ``token`` as a finite float.

    Raises:
        SubmissionError: not a number, or NaN / infinite (``what`` names the column).
    """
    try:
        value = float(token)
    except ValueError:
        shown = token if token else "(empty)"
        raise SubmissionError(f"{what} {shown!r} is not a number", line) from None
    if not math.isfinite(value):
        raise SubmissionError(f"{what} {token!r} is not a finite number", line)
    return value


@dataclass
class TokenTable:
    """The raw tokens of the predictions, one entry per row, numbers in x, y, z, angles,
    score order; ``columns`` names each number column for messages."""

    columns: Sequence[str]
    lines: list[int] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    numbers: list[Sequence[str]] = field(default_factory=list)

    def add(self, line: int, class_token: str, numbers: Sequence[str]) -> None:
        """Append one row (checked later, all rows at once)."""
        self.lines.append(line)
        self.classes.append(class_token)
        self.numbers.append(numbers)


def build_submission(
    table: TokenTable,
    profile: Profile,
    *,
    has_angles: bool,
    has_scores: bool,
    angle_convention: AngleConvention,
    file_format: SubmissionFormat,
    class_numbers: bool = False,
) -> Submission:
    """Check and convert the table; ``class_numbers`` also accepts 1-based class indices.

    Raises:
        SubmissionError: no rows, or the first row with an unknown class or a value that is
            not a finite number (names the line, the column and the value).
    """
    count = len(table.lines)
    if count == 0:
        raise SubmissionError("no predictions: the file holds no prediction lines")
    index = {name: i for i, name in enumerate(profile.classes, start=1)}
    if class_numbers:
        index.update({str(i): i for i in range(1, len(profile.classes) + 1)})
    classes = [index.get(token.lower(), 0) for token in table.classes]
    width = len(table.columns)
    try:
        values = np.fromiter(map(float, chain.from_iterable(table.numbers)), np.float64)
        bad_values = ~np.isfinite(values.reshape(count, width)).all(axis=1)
    except ValueError:  # a token that is not a number: find it row by row below
        values, bad_values = np.zeros(0), np.ones(count, dtype=bool)
    bad = np.flatnonzero(bad_values | (np.asarray(classes) == 0))
    if len(bad):
        _raise_first_error(table, profile, index, classes, int(bad[0]))
    grid = values.reshape(count, width)
    return Submission(
        classes=np.asarray(classes, dtype=np.int64),
        coords=grid[:, :3].copy(),
        angles=grid[:, 3:6].copy() if has_angles else None,
        scores=grid[:, -1].copy() if has_scores else None,
        line_numbers=np.asarray(table.lines, dtype=np.int64),
        profile=profile.name,
        angle_convention=angle_convention,
        format=file_format,
    )


def _raise_first_error(
    table: TokenTable, profile: Profile, index: dict[str, int], classes: list[int], start: int
) -> None:
    for row in range(start, len(table.lines)):
        line = table.lines[row]
        if classes[row] == 0:
            token = table.classes[row]
            if token.isdigit() and len(index) > len(profile.classes):
                raise SubmissionError(
                    f"class number {token} is not in 1..{len(profile.classes)}", line
                )
            raise SubmissionError(f"unknown class {token!r}", line)
        for token, what in zip(table.numbers[row], table.columns, strict=True):
            parse_number(token, what, line)
