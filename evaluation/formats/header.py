"""CSV (or whitespace) tables whose first line names the columns."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Final

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.formats.plain import Row
from evaluation.formats.rows import TokenTable, build_submission
from evaluation.formats.tomograms import TOMOGRAM_COLUMNS
from evaluation.profiles import ANGLE_COLUMNS, AngleConvention, Profile
from evaluation.submission import Submission

_CLASS_NAMES: Final = ("class", "class_name", "classname", "label")
_SCORE_NAMES: Final = ("score", "confidence")
_ANGLE_CONVENTIONS: Final[tuple[AngleConvention, ...]] = ("zxz", "tom")
KNOWN_COLUMNS: Final = (
    *_CLASS_NAMES,
    "x",
    "y",
    "z",
    *ANGLE_COLUMNS["zxz"],
    *ANGLE_COLUMNS["tom"],
    *_SCORE_NAMES,
    *TOMOGRAM_COLUMNS,
)


def is_header(fields: Sequence[str]) -> bool:
    """Whether a first line names columns (it starts with a class column name or names x, y
    and z) rather than holding data."""
    lowered = {field.lower() for field in fields}
    return fields[0].lower() in _CLASS_NAMES or {"x", "y", "z"} <= lowered


def refuse_unknown_header(fields: Sequence[str], line: int, profile: Profile) -> None:
    """Refuse a first line made only of words that are neither numbers nor a class: a header
    whose column names tomobench does not read (``cls,px,py,pz``), said as such rather than
    as an unknown class.

    Raises:
        SubmissionError: naming the columns found and the ones expected.
    """
    known_class = {name.lower() for name in profile.classes}
    if fields[0].lower() in known_class or any(_is_number(field) for field in fields):
        return
    raise SubmissionError(
        f"this looks like a header, but tomobench does not read the columns "
        f"{', '.join(fields)}: name them {' or '.join(_CLASS_NAMES)} (the class), x, y, z, "
        f"optionally {' '.join(ANGLE_COLUMNS['zxz'])} (or {' '.join(ANGLE_COLUMNS['tom'])}) "
        f"and {' or '.join(_SCORE_NAMES)} (and {TOMOGRAM_COLUMNS[0]}), in any order",
        line,
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_with_header(header: Row, rows: Sequence[Row], profile: Profile) -> Submission:
    """Parse data rows by the column names of ``header`` (order free, names case-insensitive).

    Angles are ``phi theta psi`` (native ZXZ) or ``rot1 rot2 rot3`` (SHREC/TOM convention).

    Raises:
        SubmissionError: an unknown, repeated or missing column, a row with another number
            of fields than the header, an unknown class or a value that is not finite.
    """
    header_line, names = header
    columns = _column_positions(header_line, names)
    convention = _angle_convention(header_line, columns)
    score_column = next((columns[n] for n in _SCORE_NAMES if n in columns), None)
    class_column = next(columns[n] for n in _CLASS_NAMES if n in columns)
    tomogram_column = next((columns[n] for n in TOMOGRAM_COLUMNS if n in columns), None)
    angle_columns = None if convention is None else [columns[n] for n in ANGLE_COLUMNS[convention]]
    numbers = [columns[axis] for axis in "xyz"] + (angle_columns or [])
    if score_column is not None:
        numbers.append(score_column)
    angle_names = [f"angle {name}" for name in ANGLE_COLUMNS[convention or "zxz"]]
    table = TokenTable(
        ["X coordinate", "Y coordinate", "Z coordinate"]
        + (angle_names if angle_columns else [])
        + (["score"] if score_column is not None else [])
    )
    for line, fields in rows:
        if len(fields) != len(names):
            raise SubmissionError(
                f"{len(fields)} fields, but the header (line {header_line}) names {len(names)} "
                "columns",
                line,
            )
        table.add(line, fields[class_column], [fields[c] for c in numbers])
    submission = build_submission(
        table,
        profile,
        has_angles=angle_columns is not None,
        has_scores=score_column is not None,
        angle_convention=convention or profile.angle_convention,
        file_format="csv",
    )
    if tomogram_column is None:
        return submission
    # kept as the file says; parse_submission checks them against the test's tomograms
    named = np.asarray([fields[tomogram_column] for _, fields in rows], dtype=np.str_)
    return dataclasses.replace(submission, tomograms=named)


def _column_positions(line: int, names: Sequence[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for position, name in enumerate(names):
        key = name.lower()
        if key not in KNOWN_COLUMNS:
            known = ", ".join(KNOWN_COLUMNS)
            raise SubmissionError(f"unknown column {name!r} (known columns: {known})", line)
        if key in columns:
            raise SubmissionError(f"column {name!r} appears twice", line)
        columns[key] = position
    if not any(name in columns for name in _CLASS_NAMES):
        raise SubmissionError("the header names no class column ('class')", line)
    missing = [axis for axis in "xyz" if axis not in columns]
    if missing:
        raise SubmissionError(f"the header names no {missing[0]!r} column", line)
    for kind, aliases in (
        ("class", _CLASS_NAMES),
        ("score", _SCORE_NAMES),
        ("tomogram", TOMOGRAM_COLUMNS),
    ):
        if sum(name in columns for name in aliases) > 1:
            raise SubmissionError(f"the header names two {kind} columns", line)
    return columns


def _angle_convention(line: int, columns: dict[str, int]) -> AngleConvention | None:
    found: list[AngleConvention] = []
    for convention in _ANGLE_CONVENTIONS:
        names = ANGLE_COLUMNS[convention]
        present = [name for name in names if name in columns]
        if present and len(present) < 3:
            missing = ", ".join(name for name in names if name not in columns)
            raise SubmissionError(f"angle columns incomplete: missing {missing}", line)
        if present:
            found.append(convention)
    if len(found) > 1:
        raise SubmissionError("the header names two sets of angles; give one", line)
    return found[0] if found else None
