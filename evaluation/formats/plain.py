"""Plain-text submissions: ``CLASS X Y Z [ANGLE ANGLE ANGLE] [SCORE]``, one per line."""

from __future__ import annotations

from collections.abc import Sequence

from evaluation.errors import SubmissionError
from evaluation.formats.rows import RowCollector
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
    collector = RowCollector(profile, has_angles=has_angles, has_scores=has_scores)
    # file column (0..2 after CLASS) holding x, y and z, e.g. (2, 1, 0) for "CLASS Z Y X"
    positions = [profile.axis_order.index(axis) for axis in "xyz"]
    angle_names = [name.upper() for name in ANGLE_COLUMNS[profile.angle_convention]]
    for line, fields in rows:
        if len(fields) != width:
            if len(fields) in _LAYOUTS:
                raise SubmissionError(
                    f"{len(fields)} fields, but the first prediction (line {first_line}) has "
                    f"{width}; every line needs the same columns",
                    line,
                )
            raise SubmissionError(_wrong_width(len(fields), profile), line)
        class_index = collector.class_of(fields[0], line)
        coordinates = fields[1:4]
        collector.add(
            line,
            class_index,
            [coordinates[p] for p in positions],
            fields[4:7] if has_angles else None,
            fields[-1] if has_scores else None,
            axis_names=("X", "Y", "Z"),
            angle_names=angle_names,
        )
    return collector.build(profile.angle_convention, "text")


def _wrong_width(width: int, profile: Profile) -> str:
    return f"expected 4, 5, 7 or 8 fields ({profile.line_layout}), got {width}"
