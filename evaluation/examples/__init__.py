"""A tiny bundled example: a native ground-truth folder and a submission to score.

From the repository root::

    tomobench evaluate evaluation/examples/tiny evaluation/examples/tiny_submission.txt

The files were written by :func:`build_example` (a test checks they still match it):
twelve spherical particles, one per class, in a 24 x 40 x 48 volume, and a submission with
a misclassification, a repeated hit, a background pick and a pick outside the volume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import mrcfile
import numpy as np

from evaluation.classes import CLASSES
from evaluation.layout import OCCUPANCY_MASK, PARTICLE_LOCATIONS

EXAMPLES: Final = Path(__file__).parent
GROUND_TRUTH: Final = EXAMPLES / "tiny"
SUBMISSION: Final = EXAMPLES / "tiny_submission.txt"

SHAPE: Final = (24, 40, 48)  # z, y, x
RADIUS: Final = 3

# CLASS X Y Z PHI THETA PSI SCORE, in file order (first hits decide the class)
SUBMISSION_LINES: Final = (
    "# tiny example: CLASS X Y Z PHI THETA PSI SCORE",
    "1bxn 6 8 12 0 10 20 0.95",
    "1qvr 18.4 8 12 35 25 40 0.90",
    "3qm1 30 8 12 60 40 60 0.40",  # misclassified: the particle is a 1s3x
    "1u6g 42 8.5 12.5 90 55 80 0.85",
    "2cg9 6 20 12 120 70 100 0.80",
    "3cf3 18 21 11 150 85 120 0.75",
    "3d2f 30 20 12 180 100 140 0.70",
    "3gl1 42 20 12 210 115 160 0.65",
    "3h84 6 32 12 240 130 180 0.60",
    "1bxn 7 8 12 0 10 20 0.30",  # a second hit on the 1bxn particle
    "4d8q 24 14 4 0 0 0 0.20",  # background
    "4b4t 60 32 12 0 0 0 0.10",  # outside the volume, clamped onto background
)


def particle_lines() -> list[str]:
    """The example's ``particle_locations.txt``: one particle of each class on a grid."""
    lines = []
    for index, name in enumerate(CLASSES):
        x, y = 6 + 12 * (index % 4), 8 + 12 * (index // 4)
        phi, theta, psi = 30 * index, 10 + 15 * index, 20 * (index + 1)
        lines.append(f"{name} {x} {y} 12 {phi} {theta} {psi}")
    return lines


def build_example(folder: Path) -> Path:
    """Write the example ground truth (list and occupancy mask) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = particle_lines()
    (folder / PARTICLE_LOCATIONS).write_text("\n".join(lines) + "\n")
    z, y, x = np.indices(SHAPE)
    mask = np.zeros(SHAPE, dtype=np.int8)  # labels 1..12 fit in one byte
    for label, line in enumerate(lines, start=1):
        cx, cy, cz = (float(v) for v in line.split()[1:4])
        mask[(x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2 <= RADIUS**2] = label
    with mrcfile.new(folder / OCCUPANCY_MASK, overwrite=True) as mrc:
        mrc.set_data(mask)
        mrc.voxel_size = 10.0  # Å, 1 nm voxels
    return folder


def write_submission(path: Path) -> Path:
    """Write the example submission to ``path``."""
    path.write_text("\n".join(SUBMISSION_LINES) + "\n")
    return path
