"""Consistency checks shared by the ground-truth loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from evaluation.errors import GroundTruthError
from evaluation.ground_truth.hitbox import read_header_shape
from evaluation.ground_truth.model import Particles


def folder_of(path: Path, list_name: str) -> Path:
    """The dataset folder named by ``path`` (the folder itself, or its list file).

    Raises:
        GroundTruthError: ``path`` does not exist.
    """
    if path.is_dir():
        return path
    if path.is_file() and path.name == list_name:
        return path.parent
    if path.exists():
        raise GroundTruthError(f"{path}: expected a folder or its {list_name}")
    raise GroundTruthError(f"no such folder: {path}")


def check_centres_inside(particles: Particles, shape: tuple[int, int, int], name: str) -> None:
    """Check that every particle centre rounds to a voxel of the hitbox.

    Raises:
        GroundTruthError: names the first list line whose centre lies outside.
    """
    size_xyz = np.asarray(shape[::-1], dtype=np.float64)
    voxels = np.rint(particles.centres)
    outside = np.any((voxels < 0) | (voxels > size_xyz - 1), axis=1)
    if outside.any():
        row = int(np.argmax(outside))
        x, y, z = particles.centres[row]
        raise GroundTruthError(
            f"{name} line {row + 1}: centre x={x:g} y={y:g} z={z:g} lies outside the hitbox "
            f"(x 0..{shape[2] - 1}, y 0..{shape[1] - 1}, z 0..{shape[0] - 1}); the list "
            "does not belong to this volume"
        )


def check_same_shape(path: Path, shape: tuple[int, int, int], hitbox_name: str) -> None:
    """If the MRC file ``path`` exists, check that it has the hitbox's shape.

    Raises:
        GroundTruthError: the shapes differ (both are named).
    """
    if not path.exists():
        return
    other = read_header_shape(path)
    if other != shape:
        raise GroundTruthError(
            f"shape mismatch: {hitbox_name} is {_zyx(shape)} but {path.name} is {_zyx(other)}"
        )


def _zyx(shape: tuple[int, int, int]) -> str:
    return f"z {shape[0]} × y {shape[1]} × x {shape[2]}"
