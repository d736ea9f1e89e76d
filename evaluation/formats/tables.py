"""Dynamo tables (``.tbl``) and DeepFinder object lists (XML).

- Dynamo: one particle a line, whitespace-separated numbers, at least 26 columns (1-based):
  4-6 ``dx dy dz`` shifts, 7-9 ``tdrot tilt narot``, 10 ``cc`` (the score), 20 the tomogram,
  22 the class, 24-26 ``x y z`` in pixels from the corner; the particle lies at x + dx.
  The pose is scipy's ``Rotation.from_euler("zxz", (tdrot, tilt, narot)).inv()``, as
  copick's ``dynamo_to_copick_transform`` converts it (checked there against the eulerangles
  library).
- DeepFinder: ``<objlist><object class_label=".." x=".." y=".." z=".." phi=".." psi=".."
  the=".." tomo_idx=".."/></objlist>`` (DeepFinder ``utils/objl.py``), voxels, class
  labels 1-based; the angles are TOM's (``Rz(psi) Rx(the) Rz(phi)``, phi applied first),
  the motive-list convention DeepFinder took over from the SHREC simulator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.formats.picks import Picks, number, rotation_matrices
from evaluation.formats.rows import parse_number

DYNAMO_MIN_COLUMNS = 26


def looks_like_dynamo(fields: Sequence[str]) -> bool:
    """A first content line of 26 or more numbers."""
    if len(fields) < DYNAMO_MIN_COLUMNS:
        return False
    try:
        [float(field) for field in fields]
    except ValueError:
        return False
    return True


def read_dynamo(lines: Sequence[str]) -> Picks:
    """Read a Dynamo table.

    Raises:
        SubmissionError: a row with fewer than 26 columns, or a value that is not a number.
    """
    rows: list[list[float]] = []
    numbers: list[int] = []
    for line_number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < DYNAMO_MIN_COLUMNS:
            raise SubmissionError(
                f"{len(fields)} columns; a Dynamo table row has at least {DYNAMO_MIN_COLUMNS} "
                "(x y z are columns 24-26)",
                line_number,
            )
        rows.append(
            [parse_number(field, f"column {i}", line_number) for i, field in enumerate(fields, 1)]
        )
        numbers.append(line_number)
    if not rows:
        raise SubmissionError("no predictions: the table has no rows")
    width = min(len(row) for row in rows)
    table = np.asarray([row[:width] for row in rows])
    shifts = table[:, 3:6]
    coords = table[:, 23:26] + shifts
    notes = ["Dynamo angles (tdrot, tilt, narot) converted as copick does: pose = zxz^-1"]
    if np.any(shifts != 0):
        notes.append("Dynamo shifts dx dy dz added to x y z")
    return Picks(
        format="dynamo",
        coords=coords,
        lines=np.asarray(numbers, dtype=np.int64),
        labels=[str(int(value)) for value in table[:, 21]],
        rotations=rotation_matrices(table[:, 6:9], "zxz", inverse=True),
        scores=table[:, 9].copy(),
        tomograms=[f"{value:g}" for value in table[:, 19]],
        class_numbers=True,
        notes=notes,
    )


def read_deepfinder(text: str) -> Picks:
    """Read a DeepFinder object list.

    Raises:
        SubmissionError: not well-formed XML, a DTD, no objects, an object without a class
            label or coordinates, a value that is not a number.
    """
    from xml.parsers import expat

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise SubmissionError("XML with a DOCTYPE or entities is not accepted")
    objects: list[tuple[int, dict[str, str]]] = []
    parser = expat.ParserCreate()

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "object":
            objects.append((parser.CurrentLineNumber, attributes))

    parser.StartElementHandler = start
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise SubmissionError(
            f"not well-formed XML ({expat.ErrorString(error.code)})", error.lineno
        ) from None
    if not objects:
        raise SubmissionError("no predictions: the object list has no <object> elements")
    coords = np.zeros((len(objects), 3))
    angles = np.zeros((len(objects), 3))
    has_angles = all(all(k in a for k in ("phi", "psi", "the")) for _, a in objects)
    labels: list[str] = []
    tomograms: list[str] = []
    for index, (line, attributes) in enumerate(objects):
        if "class_label" not in attributes:
            raise SubmissionError("<object> without class_label", line)
        labels.append(attributes["class_label"].strip())
        for axis, name in enumerate("xyz"):
            coords[index, axis] = number(attributes.get(name), f"{name} coordinate", line)
        if has_angles:
            for axis, name in enumerate(("phi", "the", "psi")):
                angles[index, axis] = number(attributes[name], f"angle {name}", line)
        tomograms.append(attributes.get("tomo_idx", "0"))
    return Picks(
        format="deepfinder",
        coords=coords,
        lines=np.asarray([line for line, _ in objects], dtype=np.int64),
        labels=labels,
        rotations=rotation_matrices(angles, "zxz") if has_angles else None,
        tomograms=tomograms,
        class_numbers=True,
        notes=["DeepFinder angles (phi, the, psi) read in the TOM convention"]
        if has_angles
        else [],
    )
