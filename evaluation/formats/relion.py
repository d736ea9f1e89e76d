"""RELION 5 and RELION 4 / pytom-match-pick STAR particle tables, read with ``starfile``.

- RELION 5: ``_rlnCenteredCoordinate{X,Y,Z}Angst``, Å from the tomogram's centre, which
  lies at size / 2 voxels (copick ``util/relion.py``, ``copick_tomogram_center``: shape /
  2 x voxel size; pytom-match-pick's RELION 5 mode writes the same).
- RELION 4 and pytom-match-pick: ``_rlnCoordinate{X,Y,Z}`` in pixels of the tomogram,
  ``_rlnDetectorPixelSize`` (pytom-match-pick: the tomogram's pixel size in Å) and
  ``_rlnLCCmax`` (pytom-match-pick's score; ``_rlnAutopickFigureOfMerit`` too).
- Both: ``_rlnAngle{Rot,Tilt,Psi}``: RELION's matrix ``Rz(rot) Ry(tilt) Rz(psi)`` rotates
  the particle onto the reference, so the pose is its inverse (RELION's Euler convention,
  as copick ``relion_rows_to_poses`` converts it); ``_rlnTomoSubtomogram{Rot,Tilt,Psi}``,
  when present, composes on the left (``A = A_subtomogram A_particle``) and turns the
  ``_rlnOrigin{X,Y,Z}Angst`` shifts, which RELION subtracts from the coordinate. The class
  is ``_rlnClassName`` / ``_rlnClassNumber`` when present, else the upload's class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from evaluation.errors import SubmissionError
from evaluation.formats.picks import Picks, rotation_matrices
from evaluation.formats.rows import parse_number
from evaluation.formats.star_layout import StarLoop, check_rows, star_loops

if TYPE_CHECKING:
    import pandas as pd

CENTRED: Final = (
    "rlnCenteredCoordinateXAngst",
    "rlnCenteredCoordinateYAngst",
    "rlnCenteredCoordinateZAngst",
)
PIXELS: Final = ("rlnCoordinateX", "rlnCoordinateY", "rlnCoordinateZ")
ANGLES: Final = ("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi")
SUBTOMOGRAM: Final = ("rlnTomoSubtomogramRot", "rlnTomoSubtomogramTilt", "rlnTomoSubtomogramPsi")
ORIGINS_ANGST: Final = ("rlnOriginXAngst", "rlnOriginYAngst", "rlnOriginZAngst")
ORIGINS: Final = ("rlnOriginX", "rlnOriginY", "rlnOriginZ")
SCORES: Final = ("rlnLCCmax", "rlnAutopickFigureOfMerit")
CLASSES: Final = ("rlnClassName", "rlnClassNumber")
TOMOGRAMS: Final = ("rlnTomoName", "rlnMicrographName")


def relion_loop(lines: Sequence[str]) -> StarLoop | None:
    """The first loop with centred Å or pixel coordinates, or None."""
    for loop in star_loops(lines):
        if CENTRED[0] in loop.columns or PIXELS[0] in loop.columns:
            return loop
    return None


def is_relion_table(loop: StarLoop) -> bool:
    """Whether a particle loop needs this reader rather than the native STAR one: centred
    Å coordinates, no class column, or pytom-match-pick's columns."""
    columns = set(loop.columns)
    return (
        CENTRED[0] in columns
        or not columns & set(CLASSES)
        or bool(columns & {"rlnLCCmax", "rlnDetectorPixelSize"})
    )


def read_relion(text: str, lines: Sequence[str]) -> Picks:
    """Read the particle loop of a RELION 5 or RELION 4 / pytom-match-pick STAR file.

    Raises:
        SubmissionError: no particle loop, a missing coordinate column, incomplete angles,
            a row of another width, a value that is not a finite number.
    """
    from evaluation.formats.star import _read_block  # pandas and starfile: only when needed

    loop = relion_loop(lines)
    if loop is None:
        raise SubmissionError(
            "no particle loop: no data block has _rlnCenteredCoordinateXAngst or _rlnCoordinateX"
        )
    centred = CENTRED[0] in loop.columns
    axes = CENTRED if centred else PIXELS
    for column in axes:
        if column not in loop.columns:
            raise SubmissionError(f"data block 'data_{loop.name}' lacks _{column}")
    check_rows(loop, lines)
    table = _read_block(text, loop.name)
    rows = np.asarray(loop.rows, dtype=np.int64)
    if len(rows) != len(table):
        raise SubmissionError(f"data block 'data_{loop.name}' could not be read row by row")
    coords = _numbers(table, axes, rows)
    notes: list[str] = []
    rotations = None
    if any(c in table for c in ANGLES):
        rotations = rotation_matrices(
            _numbers(table, _all(table, ANGLES), rows), "ZYZ", inverse=True
        )
        notes.append("RELION angles (rot, tilt, psi) converted: pose = (Rz Ry Rz)^-1")
    sub = None
    if any(c in table for c in SUBTOMOGRAM):
        sub = rotation_matrices(
            _numbers(table, _all(table, SUBTOMOGRAM), rows), "ZYZ", inverse=True
        )
        rotations = sub if rotations is None else np.einsum("nij,njk->nik", sub, rotations)
        notes.append("RELION subtomogram angles composed on the left of the particle angles")
    pixel_size = _pixel_size(table, rows)
    if any(c in table for c in ORIGINS_ANGST):
        shifts = _numbers(table, _all(table, ORIGINS_ANGST), rows)
        if sub is not None:
            shifts = np.einsum("nij,nj->ni", sub, shifts)
        if np.any(shifts != 0):
            if not centred:
                if pixel_size is None:
                    raise SubmissionError(
                        "_rlnOrigin*Angst shifts of pixel coordinates need "
                        "_rlnDetectorPixelSize; apply them to the coordinates first"
                    )
                shifts = shifts / pixel_size
            coords = coords - shifts
            notes.append("RELION origin shifts subtracted from the coordinates")
    if not centred and all(c in table for c in ORIGINS):
        shifts = _numbers(table, ORIGINS, rows)
        if np.any(shifts != 0):
            coords = coords - shifts
            notes.append("RELION origin shifts (pixels) subtracted from the coordinates")
    score_column = next((c for c in SCORES if c in table), None)
    class_column = next((c for c in CLASSES if c in table), None)
    tomogram_column = next((c for c in TOMOGRAMS if c in table), None)
    return Picks(
        format="relion5" if centred else "relion4",
        coords=coords,
        lines=rows,
        labels=None if class_column is None else [str(v).strip() for v in table[class_column]],
        unit="angstrom" if centred else "voxel",
        centred=centred,
        rotations=rotations,
        scores=None if score_column is None else _numbers(table, (score_column,), rows)[:, 0],
        pixel_size=None if centred else pixel_size,
        tomograms=None
        if tomogram_column is None
        else [str(v).strip() for v in table[tomogram_column]],
        class_numbers=class_column is not None,
        notes=notes,
    )


def _all(table: pd.DataFrame, names: Sequence[str]) -> Sequence[str]:
    missing = [name for name in names if name not in table]
    if missing:
        raise SubmissionError(f"angle columns incomplete: missing _{missing[0]}")
    return names


def _pixel_size(table: pd.DataFrame, rows: npt.NDArray[np.int64]) -> float | None:
    if "rlnDetectorPixelSize" not in table:
        return None
    sizes = _numbers(table, ("rlnDetectorPixelSize",), rows)[:, 0]
    if np.any(sizes <= 0) or not np.allclose(sizes, sizes[0]):
        bad = int(np.flatnonzero((sizes <= 0) | ~np.isclose(sizes, sizes[0]))[0])
        raise SubmissionError(
            f"_rlnDetectorPixelSize {sizes[bad]:g} differs from the first row's or is not "
            "positive; one file, one tomogram",
            int(rows[bad]),
        )
    return float(sizes[0])


def _numbers(
    table: pd.DataFrame, columns: Sequence[str], rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """The columns as finite floats, or the first bad cell named by line and column."""
    values = np.zeros((len(table), len(columns)))
    for index, column in enumerate(columns):
        cells = [str(v) for v in table[column]]
        try:
            values[:, index] = np.asarray(cells, dtype=np.float64)
            bad = ~np.isfinite(values[:, index])
        except ValueError:
            bad = np.ones(len(cells), dtype=bool)
        for row in np.flatnonzero(bad):
            parse_number(cells[row], "_" + column, int(rows[row]))
    return values
