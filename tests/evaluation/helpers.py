"""Builders for small, real ground-truth folders and submissions used across the tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mrcfile
import numpy as np

from evaluation import CLASSES, GroundTruth, Submission, load_ground_truth, parse_submission
from evaluation.ground_truth import Particles


def write_mrc(path: Path, volume: np.ndarray) -> Path:
    """Write ``volume`` (indexed [z, y, x]) as an MRC file."""
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(volume)
    return path


def write_native(folder: Path, hitbox: np.ndarray, lines: Sequence[str]) -> Path:
    """Write a native ground-truth folder: ``occupancy_mask.mrc`` and the particle list."""
    folder.mkdir(parents=True, exist_ok=True)
    write_mrc(folder / "occupancy_mask.mrc", hitbox)
    (folder / "particle_locations.txt").write_text("".join(f"{line}\n" for line in lines))
    return folder


def native_truth(
    folder: Path, hitbox: np.ndarray, lines: Sequence[str], **options: object
) -> GroundTruth:
    """Write a native folder and load it back."""
    return load_ground_truth(write_native(folder, hitbox, lines), **options)


def picks(*lines: str, profile: str = "native") -> Submission:
    """A submission from prediction lines."""
    return parse_submission("\n".join(lines) + "\n", profile=profile)


def small_volume() -> tuple[np.ndarray, list[str]]:
    """The shared hand-made case: a 6 x 8 x 10 (z, y, x) hitbox with four particles.

    1: 1bxn, centre (2, 2, 2), the cube x, y, z in 1..3
    2: 3qm1, centre (7, 5, 3), the cube x 6..8, y 4..6, z 2..4
    3: 4d8q, centre (9, 7, 5), the corner x 8..9, y 6..7, z 5
    4: 1s3x, centre (2, 6, 4), the cube x 1..3, y 5..7, z 3..5
    """
    hitbox = np.zeros((6, 8, 10), dtype=np.int16)
    hitbox[1:4, 1:4, 1:4] = 1
    hitbox[2:5, 4:7, 6:9] = 2
    hitbox[5, 6:8, 8:10] = 3
    hitbox[3:6, 5:8, 1:4] = 4
    lines = [
        "1bxn 2 2 2 0 0 0",
        "3qm1 7 5 3 10 20 30",
        "4d8q 9 7 5 0 90 0",
        "1s3x 2 6 4 45 45 45",
    ]
    return hitbox, lines


def memory_truth(
    lines: Sequence[str], shape: tuple[int, int, int], hitbox: np.ndarray | None = None
) -> GroundTruth:
    """A native ground truth built in memory from ``CLASS X Y Z [PHI THETA PSI]`` lines."""
    rows = [line.split() for line in lines]
    classes = np.array([CLASSES.index(row[0]) + 1 for row in rows], dtype=np.int64)
    centres = np.array([[float(v) for v in row[1:4]] for row in rows])
    angles = None
    if all(len(row) >= 7 for row in rows):
        angles = np.array([[float(v) for v in row[4:7]] for row in rows])
    return GroundTruth(
        profile="native",
        class_names=CLASSES,
        particles=Particles(classes, centres, angles, "zxz"),
        hitbox=np.zeros(shape, dtype=np.int16) if hitbox is None else hitbox,
        scored=np.ones(len(rows), dtype=bool),
    )
