"""Shared row handling: split a line into fields, check values, collect the columns."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.profiles import AngleConvention, Profile
from evaluation.submission import Submission

# Fields are separated by whitespace, or by a comma with optional whitespace around it.
_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def split_fields(line: str) -> list[str]:
    """Split a stripped, non-empty line into fields; ``""`` marks an empty CSV field."""
    return [field.strip('"') for field in _SEPARATOR.split(line)]


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


class RowCollector:
    """Collects validated predictions row by row and builds the :class:`Submission`."""

    def __init__(self, profile: Profile, *, has_angles: bool, has_scores: bool) -> None:
        self.profile = profile
        self._index = {name: i + 1 for i, name in enumerate(profile.classes)}
        self._classes: list[int] = []
        self._coords: list[tuple[float, float, float]] = []
        self._angles: list[tuple[float, float, float]] | None = [] if has_angles else None
        self._scores: list[float] | None = [] if has_scores else None
        self._lines: list[int] = []

    def class_of(self, token: str, line: int) -> int:
        """Return the class index of ``token`` (case-insensitive).

        Raises:
            SubmissionError: not a class of the profile.
        """
        index = self._index.get(token.lower())
        if index is None:
            known = " ".join(self.profile.classes)
            raise SubmissionError(f"unknown class {token!r} (expected one of: {known})", line)
        return index

    def add(
        self,
        line: int,
        class_index: int,
        xyz: Sequence[str],
        angles: Sequence[str] | None = None,
        score: str | None = None,
        *,
        axis_names: Sequence[str] = ("X", "Y", "Z"),
        angle_names: Sequence[str] = ("PHI", "THETA", "PSI"),
    ) -> None:
        """Check and store one prediction; ``xyz`` and ``axis_names`` are in x, y, z order.

        Raises:
            SubmissionError: a coordinate, angle or score that is not a finite number.
        """
        x, y, z = (
            parse_number(t, f"{n} coordinate", line) for t, n in zip(xyz, axis_names, strict=True)
        )
        self._coords.append((x, y, z))
        if self._angles is not None and angles is not None:
            a, b, c = (
                parse_number(t, f"angle {n}", line)
                for t, n in zip(angles, angle_names, strict=True)
            )
            self._angles.append((a, b, c))
        if self._scores is not None and score is not None:
            self._scores.append(parse_number(score, "score", line))
        self._classes.append(class_index)
        self._lines.append(line)

    def build(self, angle_convention: AngleConvention, file_format: str) -> Submission:
        """Return the collected predictions as a :class:`Submission`.

        Raises:
            SubmissionError: nothing was collected.
        """
        if not self._classes:
            raise SubmissionError("no predictions: the file holds no prediction lines")
        return Submission(
            classes=np.asarray(self._classes, dtype=np.int64),
            coords=np.asarray(self._coords, dtype=np.float64).reshape(-1, 3),
            angles=None if self._angles is None else np.asarray(self._angles, dtype=np.float64),
            scores=None if self._scores is None else np.asarray(self._scores, dtype=np.float64),
            line_numbers=np.asarray(self._lines, dtype=np.int64),
            profile=self.profile.name,
            angle_convention=angle_convention,
            format=file_format,
        )
