"""RELION STAR submissions, read with ``starfile``.

Needed: ``_rlnCoordinateX/Y/Z`` (voxels) and a class column (``_rlnClassName``, or
``_rlnClassNumber`` holding a 1-based class index or a class name). Optional:
``_rlnAngleRot/Tilt/Psi`` (RELION's ZYZ convention), ``_rlnAutopickFigureOfMerit`` (the
score), ``_rlnOriginX/Y/Z`` (shifts in voxels, subtracted from the coordinates) and
``_rlnTomoName`` (the tomogram of each row, for a test of several tomograms).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.formats.rows import TokenTable, build_submission, parse_number
from evaluation.formats.star_layout import COORDINATES, particle_loop
from evaluation.profiles import ANGLE_COLUMNS, Profile
from evaluation.submission import Submission

if TYPE_CHECKING:
    import pandas as pd

_COORDINATES: Final = COORDINATES
_ORIGINS: Final = ("rlnOriginX", "rlnOriginY", "rlnOriginZ")
_ANGST: Final = ("rlnOriginXAngst", "rlnOriginYAngst", "rlnOriginZAngst")
_CLASS_COLUMNS: Final = ("rlnClassName", "rlnClassNumber")
_SCORE: Final = "rlnAutopickFigureOfMerit"
_ANGLES: Final = ANGLE_COLUMNS["relion"]
_TOMOGRAM: Final = "rlnTomoName"
_AS_TEXT: Final = [
    *_COORDINATES,
    *_CLASS_COLUMNS,
    *_ANGLES,
    _SCORE,
    *_ORIGINS,
    *_ANGST,
    _TOMOGRAM,
]


def parse_star(text: str, lines: Sequence[str], profile: Profile) -> Submission:
    """Parse a STAR file's particle loop (the first loop with ``_rlnCoordinateX``).

    Raises:
        SubmissionError: not readable as STAR, no particle loop, no class column, incomplete
            angles, an unknown class or a value that is not a finite number.
    """
    loop = particle_loop(lines)
    table = _read_block(text, loop.name)
    rows = loop.rows
    if len(rows) != len(table):  # our line map disagrees with starfile: cannot name lines
        raise SubmissionError(f"data block 'data_{loop.name}' could not be read row by row")
    class_column = next((c for c in _CLASS_COLUMNS if c in table), None)
    if class_column is None:
        raise SubmissionError("no class column: add _rlnClassName (or _rlnClassNumber)")
    present = [c for c in _ANGLES if c in table]
    if 0 < len(present) < 3:
        missing = ", ".join("_" + c for c in _ANGLES if c not in table)
        raise SubmissionError(f"angle columns incomplete: missing {missing}")
    has_angles = len(present) == 3
    has_scores = _SCORE in table
    _refuse_angstrom_origins(table, rows)
    use_origins = all(c in table for c in _ORIGINS)
    # coordinates, angles, origins, score: build_submission reads the first six and the last
    numbers = [*_COORDINATES, *(_ANGLES if has_angles else ())]
    numbers += [*(_ORIGINS if use_origins else ()), *((_SCORE,) if has_scores else ())]
    position = {name: i for i, name in enumerate(table.columns)}
    tokens = TokenTable(["_" + name for name in numbers])
    for line, row in zip(rows, _as_tokens(table), strict=True):
        tokens.add(line, row[position[class_column]], [row[position[c]] for c in numbers])
    submission = build_submission(
        tokens,
        profile,
        has_angles=has_angles,
        has_scores=has_scores,
        angle_convention="relion",
        file_format="star",
        class_numbers=True,
    )
    if _TOMOGRAM in table:  # checked against the test's tomograms by parse_submission
        names = [row[position[_TOMOGRAM]].strip() for row in _as_tokens(table)]
        submission = dataclasses.replace(submission, tomograms=np.asarray(names, dtype=np.str_))
    if not use_origins:
        return submission
    first = numbers.index(_ORIGINS[0])  # RELION: the particle lies at coordinate - origin
    origins = [[float(v) for v in row[first : first + 3]] for row in tokens.numbers]
    return dataclasses.replace(submission, coords=submission.coords - np.asarray(origins))


def _as_tokens(table: pd.DataFrame) -> list[list[str]]:
    """The table's cells as text again (missing values, which pandas made NaN, as "nan")."""
    import pandas as pd

    return [
        [
            value if isinstance(value, str) else "nan" if pd.isna(value) else str(value)
            for value in row
        ]
        for row in table.to_numpy(dtype=object)
    ]


def _read_block(text: str, name: str) -> pd.DataFrame:
    # pandas and starfile cost about half a second to import: only STAR files load them
    import tempfile

    import pandas as pd
    import starfile

    with tempfile.TemporaryDirectory() as folder:  # starfile reads files only
        path = Path(folder) / "submission.star"
        path.write_text(text, encoding="utf-8")
        try:
            blocks = starfile.read(path, always_dict=True, parse_as_string=_AS_TEXT)
        except Exception as error:  # starfile and pandas raise many kinds on malformed input
            raise SubmissionError(f"not a readable STAR file ({error})") from None
    block = blocks.get(name)
    if not isinstance(block, pd.DataFrame):
        raise SubmissionError(f"data block 'data_{name}' could not be read as a loop")
    return block


def _refuse_angstrom_origins(table: pd.DataFrame, rows: Sequence[int]) -> None:
    for column in _ANGST:
        if column not in table:
            continue
        for line, row in zip(rows, _as_tokens(table[[column]]), strict=True):
            if parse_number(row[0], "_" + column, line) != 0.0:
                raise SubmissionError(
                    f"_{column} shifts need a pixel size; apply them to the coordinates first",
                    line,
                )
