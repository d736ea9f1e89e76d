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
from evaluation import GroundTruthError, load_ground_truth
from evaluation.layout import CLASS_MASK, RECONSTRUCTION
from simulation.layout import DATASET, TILT_ANGLES


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
    index_path = Path(dataset_dir) / DATASET
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
    """A volume [z, y, x] as stored and its voxel size in nm (the header's Å / 10; 1 if unset).

    Raises BaselineError when the file is missing or not a 3-D MRC volume.
    """
    try:
        with mrcfile.open(path, permissive=True) as mrc:
            data = np.asarray(mrc.data)
            voxel_size = float(mrc.voxel_size.x) / 10 or 1.0
    except (OSError, ValueError) as error:
        raise BaselineError(f"{path}: cannot read MRC volume ({error})") from None
    if data.ndim != 3:
        raise BaselineError(f"{path}: expected a 3-D volume, got shape {data.shape}")
    return data, voxel_size


def read_tomogram(directory: Path | str, *, with_truth: bool = False) -> Tomogram:
    """Read `reconstruction.mrc` of a tomogram folder as float32 scaled to zero mean and unit
    variance, and its ground truth if asked.

    Raises BaselineError for missing or malformed files, or masks whose shape differs.
    """
    folder = Path(directory)
    data, voxel_size = read_volume(folder / RECONSTRUCTION)
    volume = np.asarray(data, dtype=np.float32)
    deviation = float(volume.std())
    volume = (volume - float(volume.mean())) / (deviation if deviation > 0 else 1.0)
    truth = read_ground_truth(folder, volume.shape) if with_truth else None
    return Tomogram(folder.name, volume, voxel_size, truth)


def read_ground_truth(folder: Path, shape: tuple[int, ...]) -> GroundTruth:
    """The particle list, hitbox and class mask of a tomogram folder, read by the evaluator's
    own loader so that training sees exactly what scoring sees.

    Raises BaselineError when files are missing or malformed, or shapes differ.
    """
    try:
        truth = load_ground_truth(folder)
    except GroundTruthError as error:
        raise BaselineError(str(error)) from None
    class_mask, _ = read_volume(folder / CLASS_MASK)
    if class_mask.shape != shape:
        raise BaselineError(f"{folder / CLASS_MASK}: shape {class_mask.shape}, expected {shape}")
    return GroundTruth(
        centres=np.asarray(truth.particles.centres, dtype=np.float64)[:, ::-1].copy(),
        classes=np.asarray(truth.particles.classes, dtype=np.int64),
        occupancy=np.asarray(truth.hitbox, dtype=np.int32),
        class_mask=class_mask.astype(np.uint8),
    )


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
