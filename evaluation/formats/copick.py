"""copick picks (JSON), CZ cryoET Data Portal point annotations (ndjson), Kaggle/CZII CSV.

- copick (the interchange layer of the CZ cryoET Data Portal): one JSON object,
  ``pickable_object_name`` (the class of every point), ``points[].location`` {x, y, z} in
  Å from the volume's corner, ``points[].score`` and ``points[].transformation_`` (a 4 x 4
  matrix: rotation of the object onto the tomogram, translation in Å added to the location;
  copick ``models.py`` and ``util/relion.py``).
- Data Portal annotations: one JSON object a line, ``type`` "point" or "orientedPoint",
  ``location`` in voxels of the annotation's tomogram, ``xyz_rotation_matrix`` in
  copick's convention (copick's portal layer multiplies the location by the voxel spacing
  and keeps the matrix). The class comes from the annotation's metadata, so from the
  upload's ``class`` field.
- Kaggle CZII (2024-25) submissions: CSV ``[id,]experiment,particle_type,x,y,z`` in Å.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.formats.picks import Picks, number

KAGGLE_COLUMNS = ("experiment", "particle_type", "x", "y", "z")


def read_copick(text: str) -> Picks:
    """Read one copick picks file, or a JSON list of them (one per object: a multi-class
    submission).

    Raises:
        SubmissionError: not JSON, no ``points`` list, a point without a numeric location,
            a transformation that is not a 4 x 4 rigid matrix.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(f"not valid JSON ({error.msg})", error.lineno) from None
    except RecursionError:
        raise SubmissionError("not a copick picks file: JSON nested too deeply") from None
    documents = document if isinstance(document, list) else [document]
    parts = [
        _copick_document(d, f"[{i}]" if len(documents) > 1 else "") for i, d in enumerate(documents)
    ]
    if not parts:
        raise SubmissionError("no predictions: the JSON list is empty")
    single = len(parts) == 1
    labels = None if single else [label for part in parts for label in part.labels or []]
    runs = [name for part in parts for name in part.tomograms or []]
    return Picks(
        format="copick",
        coords=np.concatenate([part.coords for part in parts]),
        lines=np.arange(1, sum(len(part.coords) for part in parts) + 1, dtype=np.int64),
        labels=labels,
        unit="angstrom",
        rotations=np.concatenate([part.rotations for part in parts if part.rotations is not None]),
        scores=None
        if any(part.scores is None for part in parts)
        else np.concatenate([part.scores for part in parts if part.scores is not None]),
        object_name=parts[0].object_name if single else None,
        tomograms=runs or None,
        notes=sorted({note for part in parts for note in part.notes}),
    )


def _copick_document(document: object, prefix: str) -> Picks:
    if not isinstance(document, dict) or not isinstance(document.get("points"), list):
        raise SubmissionError(
            f"not a copick picks file: {prefix or 'the document'} has no 'points' list"
        )
    name = document.get("pickable_object_name")
    if prefix and not isinstance(name, str):
        raise SubmissionError(f"{prefix}: a copick list needs pickable_object_name in each file")
    points: list[Any] = document["points"]
    if not points:
        raise SubmissionError(
            f"no predictions: the copick file{prefix and ' ' + prefix} has no points"
        )
    coords = np.zeros((len(points), 3))
    rotations = np.tile(np.eye(3), (len(points), 1, 1))
    scores = np.ones(len(points))
    has_scores = False
    shifted = False
    for index, point in enumerate(points):
        where = f"{prefix}points[{index}]"
        if not isinstance(point, dict):
            raise SubmissionError(f"{where} is not an object")
        coords[index] = _location(point.get("location"), f"{where}.location", None)
        matrix = point.get("transformation_")
        if matrix is not None:
            transform = _matrix(matrix, 4, f"{where}.transformation_", None)
            rotations[index] = transform[:3, :3]
            if np.any(transform[:3, 3] != 0):
                coords[index] += transform[:3, 3]
                shifted = True
        if point.get("score") is not None:
            scores[index] = number(point["score"], f"{where}.score", None)
            has_scores = True
    notes = ["copick transformation_ translations (Å) added to the locations"] if shifted else []
    run = document.get("run_name")
    return Picks(
        format="copick",
        coords=coords,
        lines=np.arange(1, len(points) + 1, dtype=np.int64),
        labels=[name] * len(points) if isinstance(name, str) else None,
        unit="angstrom",
        rotations=rotations,
        scores=scores if has_scores else None,
        object_name=name if isinstance(name, str) else None,
        tomograms=[run] * len(points) if isinstance(run, str) else None,
        notes=notes,
    )


def read_portal(lines: Sequence[str]) -> Picks:
    """Read CZ Data Portal point annotations (one JSON object a line, locations in voxels).

    Raises:
        SubmissionError: a line that is not a JSON object with a numeric ``location``.
    """
    coords: list[list[float]] = []
    rotations: list[np.ndarray] = []
    numbers: list[int] = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise SubmissionError(f"not a JSON object ({error.msg})", line_number) from None
        except RecursionError:
            raise SubmissionError("JSON nested too deeply", line_number) from None
        if not isinstance(record, dict):
            raise SubmissionError("not a JSON object", line_number)
        coords.append(_location(record.get("location"), "location", line_number))
        matrix = record.get("xyz_rotation_matrix")
        rotations.append(
            np.eye(3) if matrix is None else _matrix(matrix, 3, "xyz_rotation_matrix", line_number)
        )
        numbers.append(line_number)
    return Picks(
        format="portal",
        coords=np.asarray(coords, dtype=np.float64).reshape(-1, 3),
        lines=np.asarray(numbers, dtype=np.int64),
        rotations=np.asarray(rotations, dtype=np.float64).reshape(-1, 3, 3),
    )


def read_kaggle(lines: Sequence[str]) -> Picks:
    """Read a Kaggle CZII submission CSV (``experiment,particle_type,x,y,z`` in Å).

    Raises:
        SubmissionError: a missing column, a row of another width, a value not a number.
    """
    try:
        rows = [(n, row) for n, row in enumerate(csv.reader(lines), start=1) if row]
    except csv.Error as error:  # e.g. a field longer than the csv module's limit
        raise SubmissionError(f"not readable as CSV ({error})") from None
    header_line, header = rows[0]
    names = [name.strip().lower() for name in header]
    missing = [name for name in KAGGLE_COLUMNS if name not in names]
    if missing:
        raise SubmissionError(f"the header names no {missing[0]!r} column", header_line)
    position = {name: names.index(name) for name in KAGGLE_COLUMNS}
    if len(rows) == 1:
        raise SubmissionError("no predictions: the table has a header but no rows")
    coords = np.zeros((len(rows) - 1, 3))
    labels: list[str] = []
    experiments: list[str] = []
    for index, (line, row) in enumerate(rows[1:]):
        if len(row) != len(names):
            raise SubmissionError(
                f"{len(row)} fields, but the header (line {header_line}) names {len(names)} "
                "columns",
                line,
            )
        for axis, name in enumerate("xyz"):
            coords[index, axis] = number(row[position[name]].strip(), f"{name} coordinate", line)
        labels.append(row[position["particle_type"]].strip())
        experiments.append(row[position["experiment"]].strip())
    return Picks(
        format="kaggle",
        coords=coords,
        lines=np.asarray([line for line, _ in rows[1:]], dtype=np.int64),
        labels=labels,
        unit="angstrom",
        tomograms=experiments,
    )


def _location(value: object, what: str, line: int | None) -> list[float]:
    if not isinstance(value, dict):
        raise SubmissionError(f"{what} is missing or not an object with x, y, z", line)
    return [number(value.get(axis), f"{what}.{axis}", line) for axis in "xyz"]


def _matrix(value: object, size: int, what: str, line: int | None) -> np.ndarray:
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SubmissionError(f"{what} is not a {size} x {size} matrix of numbers", line) from None
    if matrix.shape != (size, size) or not np.all(np.isfinite(matrix)):
        raise SubmissionError(f"{what} is not a {size} x {size} matrix of numbers", line)
    rotation = matrix[:3, :3]
    if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-3) or np.linalg.det(rotation) < 0:
        raise SubmissionError(f"{what} does not hold a rotation (orthonormal, det +1)", line)
    return matrix
