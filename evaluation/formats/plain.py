"""Plain-text submissions: ``CLASS X Y Z [ANGLE ANGLE ANGLE] [SCORE]``, one per line."""

from __future__ import annotations

from collections.abc import Sequence

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
