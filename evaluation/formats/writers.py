"""Write a submission in any of the formats it can be read from (``tomobench convert``).

Each writer is the inverse of its reader (``docs/evaluation.md`` lists the conventions):
coordinates leave the voxel frame for the format's unit and origin, poses become the
format's angles or matrices. Formats in Å need the voxel size, RELION 5's centred
coordinates the tomogram's shape too.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from evaluation.formats.picks import Frame, euler_angles
from evaluation.submission import SUBMISSION_FORMATS, Submission, SubmissionFormat

if TYPE_CHECKING:
    from scipy.spatial.transform import Rotation

# every format that is read can be written
WRITABLE: tuple[SubmissionFormat, ...] = SUBMISSION_FORMATS


class ConversionError(ValueError):
    """The submission cannot be written in that format (a missing voxel size or shape)."""


def write_submission(
    submission: Submission,
    file_format: SubmissionFormat,
    frame: Frame | None = None,
    *,
    tomogram: str = "test",
) -> str:
    """The text of ``submission`` in ``file_format``; ``tomogram`` names the run
    (copick ``run_name``, RELION ``rlnTomoName``, Kaggle ``experiment``).

    Raises:
        ConversionError: the format needs a voxel size or a shape ``frame`` lacks.
    """
    writers: dict[str, Callable[[Submission, Frame, str], str]] = {
        "text": _text,
        "csv": _csv,
        "star": _star,
        "copick": _copick,
        "portal": _portal,
        "kaggle": _kaggle,
        "relion5": _relion5,
        "relion4": _relion4,
        "dynamo": _dynamo,
        "deepfinder": _deepfinder,
    }
    if file_format not in writers:
        raise ConversionError(f"unknown format {file_format!r} (known: {', '.join(WRITABLE)})")
    return writers[file_format](submission, frame or Frame(), tomogram)


def _rotations(submission: Submission) -> Rotation | None:
    from evaluation.metrics.orientation import rotations

    if submission.angles is None:
        return None
    return rotations(submission.angles, submission.angle_convention)


def _voxel_size(frame: Frame, what: str) -> float:
    if frame.voxel_size is None:
        raise ConversionError(f"{what} coordinates are in Å: give the voxel size (--pixel-size)")
    return frame.voxel_size


def _angstrom(submission: Submission, frame: Frame, what: str) -> npt.NDArray[np.float64]:
    return submission.coords * _voxel_size(frame, what)


def _zxz(submission: Submission) -> npt.NDArray[np.float64] | None:
    rotation = _rotations(submission)
    if rotation is None:
        return None
    return euler_angles(rotation, "ZXZ")


def _text(submission: Submission, frame: Frame, tomogram: str) -> str:
    angles = _zxz(submission)
    lines = []
    for row, name in enumerate(submission.class_names):
        fields = [name, *map(repr, submission.coords[row].tolist())]
        if angles is not None:
            fields += map(repr, angles[row].tolist())
        if submission.scores is not None:
            fields.append(repr(float(submission.scores[row])))
        lines.append(" ".join(fields))
    return "\n".join(lines) + "\n"


def _csv(submission: Submission, frame: Frame, tomogram: str) -> str:
    angles = _zxz(submission)
    header = ["class", "x", "y", "z"]
    header += ["phi", "theta", "psi"] if angles is not None else []
    header += ["score"] if submission.scores is not None else []
    header += ["tomogram"] if submission.tomograms is not None else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row, name in enumerate(submission.class_names):
        values: list[object] = [name, *submission.coords[row].tolist()]
        if angles is not None:
            values += angles[row].tolist()
        if submission.scores is not None:
            values.append(float(submission.scores[row]))
        if submission.tomograms is not None:  # a test of several tomograms
            values.append(str(submission.tomograms[row]))
        writer.writerow(values)
    return buffer.getvalue()


def _relion_columns(submission: Submission) -> dict[str, npt.NDArray[np.float64]]:
    rotation = _rotations(submission)
    if rotation is None:
        return {}
    angles = euler_angles(rotation.inv(), "ZYZ")  # RELION stores the inverse
    return {"rlnAngleRot": angles[:, 0], "rlnAngleTilt": angles[:, 1], "rlnAnglePsi": angles[:, 2]}


def _write_star(columns: dict[str, object]) -> str:
    import tempfile
    from pathlib import Path

    import pandas as pd
    import starfile

    with tempfile.TemporaryDirectory() as folder:  # starfile writes files only
        path = Path(folder) / "particles.star"
        starfile.write({"particles": pd.DataFrame(columns)}, path)
        return path.read_text(encoding="utf-8")


def _star(submission: Submission, frame: Frame, tomogram: str) -> str:
    columns: dict[str, object] = {
        "rlnCoordinateX": submission.coords[:, 0],
        "rlnCoordinateY": submission.coords[:, 1],
        "rlnCoordinateZ": submission.coords[:, 2],
        "rlnClassName": list(submission.class_names),
    }
    columns.update(_relion_columns(submission))
    if submission.scores is not None:
        columns["rlnAutopickFigureOfMerit"] = submission.scores
    return _write_star(columns)


def _relion4(submission: Submission, frame: Frame, tomogram: str) -> str:
    columns: dict[str, object] = {
        "rlnCoordinateX": submission.coords[:, 0],
        "rlnCoordinateY": submission.coords[:, 1],
        "rlnCoordinateZ": submission.coords[:, 2],
    }
    columns.update(_relion_columns(submission))
    if submission.scores is not None:
        columns["rlnLCCmax"] = submission.scores
    if frame.voxel_size is not None:
        columns["rlnDetectorPixelSize"] = np.full(len(submission), frame.voxel_size)
    columns["rlnMicrographName"] = [tomogram] * len(submission)
    columns["rlnClassName"] = list(submission.class_names)
    return _write_star(columns)


def _relion5(submission: Submission, frame: Frame, tomogram: str) -> str:
    if frame.shape is None:
        raise ConversionError("RELION 5 centred coordinates need the tomogram's size (--size)")
    half = np.array(frame.shape[::-1], dtype=np.float64) / 2
    centred = (submission.coords - half) * _voxel_size(frame, "RELION 5")
    columns: dict[str, object] = {
        "rlnTomoName": [tomogram] * len(submission),
        "rlnCenteredCoordinateXAngst": centred[:, 0],
        "rlnCenteredCoordinateYAngst": centred[:, 1],
        "rlnCenteredCoordinateZAngst": centred[:, 2],
    }
    columns.update(_relion_columns(submission))
    if submission.scores is not None:
        columns["rlnLCCmax"] = submission.scores
    columns["rlnClassName"] = list(submission.class_names)
    return _write_star(columns)


def _matrices(submission: Submission) -> npt.NDArray[np.float64]:
    rotation = _rotations(submission)
    if rotation is None:
        return np.tile(np.eye(3), (len(submission), 1, 1))
    matrices: npt.NDArray[np.float64] = rotation.as_matrix()
    return matrices


def _one_class(submission: Submission, what: str) -> str:
    names = sorted(set(submission.class_names))
    if len(names) > 1:
        raise ConversionError(
            f"a {what} file holds one object; this submission has {len(names)} classes "
            f"({', '.join(names)}): convert one class at a time (--only-class)"
        )
    return names[0]


def _copick(submission: Submission, frame: Frame, tomogram: str) -> str:
    name = _one_class(submission, "copick picks")
    location = _angstrom(submission, frame, "copick")
    matrices = _matrices(submission)
    points = []
    for row in range(len(submission)):
        transform = np.eye(4)
        transform[:3, :3] = matrices[row]
        point: dict[str, object] = {
            "location": dict(zip("xyz", location[row].tolist(), strict=True)),
            "transformation_": transform.tolist(),
            "instance_id": 0,
        }
        if submission.scores is not None:
            point["score"] = float(submission.scores[row])
        points.append(point)
    document = {
        "pickable_object_name": name,
        "user_id": "tomobench",
        "session_id": "0",
        "run_name": tomogram,
        "voxel_spacing": None,
        "unit": "angstrom",
        "points": points,
        "trust_orientation": submission.angles is not None,
    }
    return json.dumps(document, indent=1) + "\n"


def _portal(submission: Submission, frame: Frame, tomogram: str) -> str:
    _one_class(submission, "Data Portal annotation")
    matrices = _matrices(submission)
    kind = "orientedPoint" if submission.angles is not None else "point"
    lines = []
    for row in range(len(submission)):
        record: dict[str, object] = {
            "type": kind,
            "location": dict(zip("xyz", submission.coords[row].tolist(), strict=True)),
            "instance_id": 0,
        }
        if submission.angles is not None:
            record["xyz_rotation_matrix"] = matrices[row].tolist()
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def _kaggle(submission: Submission, frame: Frame, tomogram: str) -> str:
    location = _angstrom(submission, frame, "Kaggle")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", "experiment", "particle_type", "x", "y", "z"])
    for row, name in enumerate(submission.class_names):
        writer.writerow([row, tomogram, name, *location[row].tolist()])
    return buffer.getvalue()


def _dynamo(submission: Submission, frame: Frame, tomogram: str) -> str:
    rotation = _rotations(submission)
    angles = np.zeros((len(submission), 3))
    if rotation is not None:
        angles = euler_angles(rotation.inv(), "zxz")  # inverse of the reader
    table = np.zeros((len(submission), 35))
    table[:, 0] = np.arange(1, len(submission) + 1)
    table[:, 1:3] = 1  # aligned, averaged
    table[:, 6:9] = angles
    table[:, 9] = 0.0 if submission.scores is None else submission.scores
    table[:, 19] = 1  # the tomogram
    table[:, 21] = submission.classes
    table[:, 23:26] = submission.coords
    return "".join(" ".join(f"{value:.10g}" for value in row) + "\n" for row in table)


def _deepfinder(submission: Submission, frame: Frame, tomogram: str) -> str:
    from xml.etree import ElementTree

    rotation = _rotations(submission)
    angles = None if rotation is None else euler_angles(rotation, "zxz")
    root = ElementTree.Element("objlist")
    for row in range(len(submission)):
        element = ElementTree.SubElement(root, "object")
        element.set("tomo_idx", "0")
        element.set("class_label", str(int(submission.classes[row])))
        for axis, name in enumerate("xyz"):
            element.set(name, repr(float(submission.coords[row, axis])))
        if angles is not None:
            for axis, name in enumerate(("phi", "the", "psi")):
                element.set(name, repr(float(angles[row, axis])))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode") + "\n"
