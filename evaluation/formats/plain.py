"""Plain-text submissions: ``CLASS X Y Z [ANGLE ANGLE ANGLE] [SCORE]``, one per line."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.formats.rows import TokenTable, build_submission
from evaluation.profiles import ANGLE_COLUMNS, Profile
from evaluation.submission import Submission

Row = tuple[int, list[str]]  # (line number, fields)

# number of fields -> (has angles, has score)
_LAYOUTS = {4: (False, False), 5: (False, True), 7: (True, False), 8: (True, True)}


def parse_plain(rows: Sequence[Row], profile: Profile) -> Submission:
    """Parse positional prediction lines; the first line fixes the columns of all lines.

    Raises:
        SubmissionError: a wrong number of fields, a line whose columns differ from the
            first line's, an empty field, an unknown class or a value that is not finite.
    """
    first_line, first_fields = rows[0]
    width = len(first_fields)
    if width not in _LAYOUTS:
        raise SubmissionError(_wrong_width(width, profile), first_line)
    has_angles, has_scores = _LAYOUTS[width]
    angle_names = [f"angle {name.upper()}" for name in ANGLE_COLUMNS[profile.angle_convention]]
    table = TokenTable(
        ["X coordinate", "Y coordinate", "Z coordinate"]
        + (angle_names if has_angles else [])
        + (["score"] if has_scores else [])
    )
    # file column (1..3) holding x, y and z, e.g. (3, 2, 1) for "CLASS Z Y X"
    x, y, z = (profile.axis_order.index(axis) + 1 for axis in "xyz")
    for line, fields in rows:
        if len(fields) != width:
            if len(fields) in _LAYOUTS:
                raise SubmissionError(
                    f"{len(fields)} fields, but the first prediction (line {first_line}) has "
                    f"{width}; every line needs the same columns",
                    line,
                )
            raise SubmissionError(_wrong_width(len(fields), profile), line)
        table.add(line, fields[0], [fields[x], fields[y], fields[z], *fields[4:]])
    return build_submission(
        table,
        profile,
        has_angles=has_angles,
        has_scores=has_scores,
        angle_convention=profile.angle_convention,
        file_format="text",
    )


def _wrong_width(width: int, profile: Profile) -> str:
    return f"expected 4, 5, 7 or 8 fields ({profile.line_layout}), got {width}"


def parse_plain_table(text: str, lines: Sequence[str], profile: Profile) -> Submission | None:
    """Read a regular plain-text file column-wise with numpy's text reader: ASCII, no
    comment, comma or quote, every prediction line with the same 4, 5, 7 or 8 fields, every
    class known and every number finite. None for any other file: :func:`parse_plain` then
    reads it line by line and names the first problem. Both give the same submission.

    numpy converts each number with ``PyOS_string_to_double``, the function behind Python's
    ``float``, so the values are the same to the last bit (tokens that only ``float``
    accepts, such as ``1_000``, make the reader fail and take the line-by-line path).
    """
    if not text.isascii() or "#" in text or "," in text or '"' in text:
        return None
    first = next((line for line in lines if line and not line.isspace()), None)
    if first is None:
        return None
    width = len(first.split())
    if width not in _LAYOUTS:
        return None
    table = np.dtype([("class", "S16"), ("numbers", np.float64, (width - 1,))])
    try:
        rows = np.loadtxt(lines, dtype=table, comments=None, ndmin=1)
    except (ValueError, TypeError):  # another number of fields, or not a number
        return None
    classes = _class_indices(rows["class"], profile.classes)
    values = rows["numbers"]
    if not classes.all() or not np.isfinite(values).all():
        return None
    if len(rows) == len(lines):
        line_numbers = np.arange(1, len(rows) + 1, dtype=np.int64)
    else:  # blank lines: they count in the line numbers
        line_numbers = np.array(
            [n for n, line in enumerate(lines, start=1) if line and not line.isspace()],
            dtype=np.int64,
        )
        if len(line_numbers) != len(rows):
            return None
    has_angles, has_scores = _LAYOUTS[width]
    # file column (0..2 after the class) holding x, y and z, e.g. (2, 1, 0) for "CLASS Z Y X"
    xyz = [profile.axis_order.index(axis) for axis in "xyz"]
    return Submission(
        classes=classes.astype(np.int64),
        coords=values[:, xyz],
        angles=values[:, 3:6].copy() if has_angles else None,
        scores=values[:, -1].copy() if has_scores else None,
        line_numbers=line_numbers,
        profile=profile.name,
        angle_convention=profile.angle_convention,
        format="text",
    )


def _class_indices(tokens: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """1-based class index of each token (bytes), 0 for unknown; case-insensitive."""
    known = sorted((name.encode(), i) for i, name in enumerate(names, start=1))
    sorted_names = np.array([name for name, _ in known], dtype=tokens.dtype)
    indices = np.array([i for _, i in known] + [0])
    position = np.searchsorted(sorted_names, tokens)
    exact = sorted_names[np.minimum(position, len(known) - 1)] == tokens
    classes = np.where(exact, indices[position], 0)
    others = np.flatnonzero(~exact)  # other spellings ("1BXN"): looked up one by one
    if len(others):
        lowered = {name: i for name, i in known}
        classes[others] = [lowered.get(token.lower(), 0) for token in tokens[others].tolist()]
    return classes
