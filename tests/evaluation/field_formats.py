"""A small simulated-style ground truth and independent writers of the field's pick formats.

The writers here follow each format's published convention with scipy and the standard
library directly; they share no code with ``evaluation.formats`` (the thing under test).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np
from scipy.spatial.transform import Rotation

from evaluation import CLASSES

VOXEL = 10.0  # Å
SHAPE = (60, 100, 120)  # z, y, x


@dataclass(frozen=True)
class Truth:
    """The particles written to a ground-truth folder: classes (names), x y z voxel
    centres, native ZXZ angles (degrees)."""

    folder: Path
    names: list[str]
    centres: np.ndarray
    angles: np.ndarray

    @property
    def rotations(self) -> Rotation:
        return Rotation.from_euler("ZXZ", self.angles, degrees=True)


def make_truth(
    folder: Path, *, count: int = 30, classes: tuple[str, ...] = CLASSES, seed: int = 3
) -> Truth:
    """Spheres of radius 3 voxels at well-separated random centres (integer voxels, so that
    every format's rounding lands on the centre), random classes and poses; the MRC
    header declares 10 Å voxels."""
    rng = np.random.default_rng(seed)
    centres: list[np.ndarray] = []
    while len(centres) < count:
        candidate = np.array(
            [rng.integers(6, SHAPE[2] - 6), rng.integers(6, SHAPE[1] - 6), rng.integers(6, 54)],
            dtype=np.float64,
        )
        if all(np.linalg.norm(candidate - other) > 9 for other in centres):
            centres.append(candidate)
    names = [classes[int(i)] for i in rng.integers(0, len(classes), count)]
    angles = Rotation.random(count, random_state=seed).as_euler("ZXZ", degrees=True)
    mask = np.zeros(SHAPE, dtype=np.int16)
    z, y, x = np.indices(SHAPE)
    for label, (cx, cy, cz) in enumerate(centres, start=1):
        mask[(x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= 9] = label
    folder.mkdir(parents=True, exist_ok=True)
    with mrcfile.new(folder / "occupancy_mask.mrc", overwrite=True) as mrc:
        mrc.set_data(mask)
        mrc.voxel_size = VOXEL
    lines = [
        f"{name} {c[0]:g} {c[1]:g} {c[2]:g} {float(a[0])!r} {float(a[1])!r} {float(a[2])!r}\n"
        for name, c, a in zip(names, centres, angles, strict=True)
    ]
    (folder / "particle_locations.txt").write_text("".join(lines))
    return Truth(folder, names, np.array(centres), angles)


def native_text(truth: Truth) -> str:
    return "".join(
        " ".join([name, *(repr(float(v)) for v in (*c, *a))]) + "\n"
        for name, c, a in zip(truth.names, truth.centres, truth.angles, strict=True)
    )


def _star(columns: dict[str, list[object]]) -> str:
    names = list(columns)
    rows = zip(*columns.values(), strict=True)
    header = "".join(f"_{name} #{i}\n" for i, name in enumerate(names, start=1))
    body = "".join(
        " ".join(str(v) if isinstance(v, str | int) else repr(float(v)) for v in row) + "\n"
        for row in rows
    )
    return f"\n# version 50001\n\ndata_particles\n\nloop_\n{header}{body}\n"


def relion_angles(truth: Truth) -> np.ndarray:
    """RELION's (rot, tilt, psi): its matrix Rz Ry Rz is the inverse of the pose."""
    return truth.rotations.inv().as_euler("ZYZ", degrees=True)


def relion5_star(truth: Truth, shape: tuple[int, int, int] = SHAPE) -> str:
    """RELION 5: centred coordinates in Å, the centre at size / 2 voxels (shape z, y, x)."""
    half = np.array(shape[::-1]) / 2
    centred = (truth.centres - half) * VOXEL
    angles = relion_angles(truth)
    return _star(
        {
            "rlnTomoName": ["TS_01"] * len(truth.names),
            "rlnCenteredCoordinateXAngst": list(centred[:, 0]),
            "rlnCenteredCoordinateYAngst": list(centred[:, 1]),
            "rlnCenteredCoordinateZAngst": list(centred[:, 2]),
            "rlnAngleRot": list(angles[:, 0]),
            "rlnAngleTilt": list(angles[:, 1]),
            "rlnAnglePsi": list(angles[:, 2]),
            "rlnClassNumber": [CLASSES.index(n) + 1 for n in truth.names],
        }
    )


def pytom_star(truth: Truth, *, binning: int = 1) -> str:
    """pytom-match-pick: pixel coordinates (of a tomogram binned ``binning`` times), its
    LCCmax, cut-off, search std and pixel size, no class column."""
    angles = relion_angles(truth)
    pixels = truth.centres / binning
    return _star(
        {
            "rlnCoordinateX": list(pixels[:, 0]),
            "rlnCoordinateY": list(pixels[:, 1]),
            "rlnCoordinateZ": list(pixels[:, 2]),
            "rlnAngleRot": list(angles[:, 0]),
            "rlnAngleTilt": list(angles[:, 1]),
            "rlnAnglePsi": list(angles[:, 2]),
            "rlnLCCmax": list(np.linspace(0.9, 0.3, len(truth.names))),
            "rlnCutOff": [0.2] * len(truth.names),
            "rlnSearchStd": [0.01] * len(truth.names),
            "rlnDetectorPixelSize": [VOXEL * binning] * len(truth.names),
            "rlnMicrographName": ["tomo_1.mrc"] * len(truth.names),
        }
    )


def copick_json(truth: Truth) -> str:
    """One copick picks document per object, as a JSON list; locations in Å."""
    documents = []
    matrices = truth.rotations.as_matrix()
    for name in sorted(set(truth.names)):
        points = []
        for index, own in enumerate(truth.names):
            if own != name:
                continue
            transform = np.eye(4)
            transform[:3, :3] = matrices[index]
            x, y, z = truth.centres[index] * VOXEL
            points.append(
                {
                    "location": {"x": x, "y": y, "z": z},
                    "transformation_": transform.tolist(),
                    "instance_id": 0,
                    "score": 1.0,
                }
            )
        documents.append(
            {
                "pickable_object_name": name,
                "user_id": "test",
                "session_id": "0",
                "run_name": "TS_01",
                "unit": "angstrom",
                "points": points,
                "trust_orientation": True,
            }
        )
    return json.dumps(documents)


def portal_ndjson(truth: Truth) -> str:
    """CZ Data Portal point annotations: voxel locations, rotation matrices."""
    matrices = truth.rotations.as_matrix()
    return "".join(
        json.dumps(
            {
                "type": "orientedPoint",
                "location": dict(zip("xyz", map(float, centre), strict=True)),
                "xyz_rotation_matrix": matrix.tolist(),
                "instance_id": 0,
            }
        )
        + "\n"
        for centre, matrix in zip(truth.centres, matrices, strict=True)
    )


def kaggle_csv(truth: Truth) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "experiment", "particle_type", "x", "y", "z"])
    for index, (name, centre) in enumerate(zip(truth.names, truth.centres, strict=True)):
        writer.writerow([index, "TS_01", name, *(centre * VOXEL)])
    return buffer.getvalue()


def dynamo_tbl(truth: Truth) -> str:
    """Dynamo: 35 columns; tdrot tilt narot with pose = zxz(extrinsic)^-1 (copick); the
    position split between x y z and the shifts dx dy dz."""
    angles = truth.rotations.inv().as_euler("zxz", degrees=True)
    rows = []
    for index, (name, centre) in enumerate(zip(truth.names, truth.centres, strict=True)):
        row = [0.0] * 35
        row[0] = index + 1
        row[3:6] = [0.5, -0.25, 0.0]  # shifts: the particle is at x + dx
        row[6:9] = angles[index]
        row[9] = 0.5
        row[19] = 1
        row[21] = CLASSES.index(name) + 1
        row[23:26] = centre - np.array([0.5, -0.25, 0.0])
        rows.append(" ".join(f"{value:.12g}" for value in row))
    return "\n".join(rows) + "\n"


def deepfinder_xml(truth: Truth) -> str:
    """DeepFinder: class labels 1-based, TOM angles (phi first: Rz(psi) Rx(the) Rz(phi))."""
    angles = truth.rotations.as_euler("zxz", degrees=True)
    objects = "".join(
        f'  <object tomo_idx="0" class_label="{CLASSES.index(name) + 1}" x="{c[0]}" '
        f'y="{c[1]}" z="{c[2]}" phi="{float(a[0])!r}" psi="{float(a[2])!r}" '
        f'the="{float(a[1])!r}"/>\n'
        for name, c, a in zip(truth.names, truth.centres, angles, strict=True)
    )
    return f"<objlist>\n{objects}</objlist>\n"
