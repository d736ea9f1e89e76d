"""Reading a native tomobench dataset: which tomograms train, their volumes and ground truth.

Volumes are indexed [z, y, x] as mrcfile returns them; particle centres are kept as (z, y, x)
rows so that they index the volumes directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np

from baselines.errors import BaselineError
from evaluation.classes import CLASSES

RECONSTRUCTION = "reconstruction.mrc"
OCCUPANCY_MASK = "occupancy_mask.mrc"
CLASS_MASK = "class_mask.mrc"
PARTICLE_LOCATIONS = "particle_locations.txt"
TILT_ANGLES = "tilt_angles.txt"
_CLASS_INDEX = {name.lower(): index for index, name in enumerate(CLASSES, start=1)}


@dataclass(frozen=True)
class GroundTruth:
    """The annotation of one training tomogram.

    `centres` (N, 3) holds particle centres as (z, y, x) voxel coordinates, `classes` (N,) their
    class index 1..12 (order of `evaluation.classes.CLASSES`), `occupancy` the hitbox labels
    (line k of the list owns the voxels labelled k) and `class_mask` the class per voxel.
    """

    centres: np.ndarray
    classes: np.ndarray
    occupancy: np.ndarray
    class_mask: np.ndarray


@dataclass(frozen=True)
class Tomogram:
    """A reconstruction scaled to zero mean and unit variance, with its truth when known."""

    name: str
    volume: np.ndarray
    voxel_size: float
    truth: GroundTruth | None = None

    def annotated(self) -> GroundTruth:
        """The ground truth; raises BaselineError for a tomogram read without it."""
        if self.truth is None:
            raise BaselineError(f"tomogram {self.name} has no ground truth loaded")
        return self.truth


def dataset_tomograms(dataset_dir: Path | str, role: str) -> list[Path]:
    """Folders of the tomograms of `role` ("train" or "test") listed in `dataset.json`.

    Raises BaselineError when the file is missing or malformed, or lists none of that role.
    """
    index_path = Path(dataset_dir) / "dataset.json"
    try:
        entries = json.loads(index_path.read_text())["tomograms"]
        folders = [Path(dataset_dir) / entry["name"] for entry in entries if entry["role"] == role]
    except FileNotFoundError:
        raise BaselineError(f"{index_path}: no such file (is this a dataset folder?)") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise BaselineError(f"{index_path}: not a dataset index ({error})") from None
    if not folders:
        raise BaselineError(f"{index_path}: lists no tomogram with role {role!r}")
    return folders


def read_volume(path: Path) -> tuple[np.ndarray, float]:
    """A volume as float32 [z, y, x] and its voxel size (Å or nm as the header says; 1 if unset).

    Raises BaselineError when the file is missing or not a 3-D MRC volume.
    """
    try:
        with mrcfile.open(path, permissive=True) as mrc:
            data = np.asarray(mrc.data)
            voxel_size = float(mrc.voxel_size.x) or 1.0
    except (OSError, ValueError) as error:
        raise BaselineError(f"{path}: cannot read MRC volume ({error})") from None
    if data.ndim != 3:
        raise BaselineError(f"{path}: expected a 3-D volume, got shape {data.shape}")
    return data, voxel_size


def read_tomogram(directory: Path | str, *, with_truth: bool = False) -> Tomogram:
    """Read `reconstruction.mrc` of a tomogram folder, normalised, and its ground truth if asked.

    Raises BaselineError for missing or malformed files, or masks whose shape differs.
    """
    folder = Path(directory)
    data, voxel_size = read_volume(folder / RECONSTRUCTION)
    volume = data.astype(np.float32)
    deviation = float(volume.std())
    volume = (volume - float(volume.mean())) / (deviation if deviation > 0 else 1.0)
    truth = read_ground_truth(folder, volume.shape) if with_truth else None
    return Tomogram(folder.name, volume, voxel_size, truth)


def read_ground_truth(folder: Path, shape: tuple[int, ...]) -> GroundTruth:
    """The particle list and masks of a tomogram folder; raises BaselineError when malformed."""
    classes, centres = read_particle_locations(folder / PARTICLE_LOCATIONS)
    masks = []
    for name in (OCCUPANCY_MASK, CLASS_MASK):
        mask, _ = read_volume(folder / name)
        if mask.shape != shape:
            raise BaselineError(f"{folder / name}: shape {mask.shape}, reconstruction {shape}")
        masks.append(mask.astype(np.int32))
    return GroundTruth(centres, classes, masks[0], masks[1])


def read_particle_locations(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Class indices (N,) and (z, y, x) centres (N, 3) from `CLASS X Y Z [PHI THETA PSI]` lines.

    Raises BaselineError naming the line for an unknown class or a non-numeric coordinate.
    """
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        raise BaselineError(f"{path}: cannot read particle list ({error})") from None
    classes, centres = [], []
    for number, line in enumerate(lines, start=1):
        fields = line.replace(",", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 4 or fields[0].lower() not in _CLASS_INDEX:
            raise BaselineError(f"{path}, line {number}: expected CLASS X Y Z, got {line!r}")
        try:
            x, y, z = (float(value) for value in fields[1:4])
        except ValueError:
            raise BaselineError(f"{path}, line {number}: coordinates are not numbers") from None
        classes.append(_CLASS_INDEX[fields[0].lower()])
        centres.append((z, y, x))
    return np.array(classes, dtype=np.int64), np.array(centres, dtype=np.float64).reshape(-1, 3)


def read_tilt_range(directory: Path | str) -> tuple[float, float]:
    """The lowest and highest tilt angle (degrees) in a tomogram's `tilt_angles.txt`.

    Raises BaselineError when the file is missing or holds no numbers.
    """
    path = Path(directory) / TILT_ANGLES
    try:
        angles = np.loadtxt(path, ndmin=1, dtype=np.float64)
    except (OSError, ValueError) as error:
        raise BaselineError(f"{path}: cannot read tilt angles ({error})") from None
    if angles.size == 0:
        raise BaselineError(f"{path}: no tilt angles")
    return float(angles.min()), float(angles.max())
