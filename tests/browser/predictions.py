"""Prediction files with a known outcome, written from the live service's hidden ground truth.

A particle is "safe" when the voxel at its rounded centre belongs to it in the occupancy
mask, so a pick there is certainly a hit on it. Picking the first `found` safe particles,
plus picks on background voxels, gives TP = found, FP = background picks, FN = N - found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mrcfile
import numpy as np

from evaluation.classes import CLASSES


@dataclass(frozen=True)
class Expected:
    """The Table 1 figures a prediction file must get, computed by hand."""

    particles: int
    found: int
    background: int

    @property
    def row(self) -> list[str]:
        """RR TP FP FN MH RO as the report prints them, then recall, precision, miss rate, F1."""
        reported = self.found + self.background
        recall = self.found / self.particles
        precision = self.found / reported
        f1 = 2 * self.found / (reported + self.particles)
        counts = [reported, self.found, self.background, self.particles - self.found, 0, 0]
        rates = [recall, precision, 1 - recall, f1]
        return [str(n) for n in counts] + [f"{value:.4f}" for value in rates]


def write_predictions(
    tomogram: Path,
    path: Path,
    *,
    found: int,
    background: int,
    wrong_class_every: int = 0,
    with_angles_and_scores: bool = True,
) -> Expected:
    """Write a prediction file for `tomogram` and return what it must score.

    Every `wrong_class_every`-th pick names the next class instead (a hit, but misclassified).
    """
    with mrcfile.open(tomogram / "occupancy_mask.mrc", permissive=True) as mrc:
        mask = np.asarray(mrc.data)
    particles = [
        line.split()
        for line in (tomogram / "particle_locations.txt").read_text().splitlines()
        if line.strip()
    ]
    lines = []
    for label, (name, x, y, z, *angles) in enumerate(particles, start=1):
        centre = tuple(round(float(v)) for v in (z, y, x))
        if mask[centre] != label or len(lines) == found:
            continue
        if wrong_class_every and (len(lines) + 1) % wrong_class_every == 0:
            name = CLASSES[(CLASSES.index(name.lower()) + 1) % len(CLASSES)]
        extra = (
            f" {' '.join(angles[:3])} {0.99 - 0.01 * len(lines):.2f}"
            if with_angles_and_scores
            else ""
        )
        lines.append(f"{name} {x} {y} {z}{extra}")
    assert len(lines) == found, f"only {len(lines)} particles are safe to pick"
    empty = np.argwhere(mask == 0)[:: max(1, int(np.sum(mask == 0)) // (background + 1))]
    for z, y, x in empty[1 : background + 1]:
        extra = " 0 0 0 0.05" if with_angles_and_scores else ""
        lines.append(f"{CLASSES[0]} {x} {y} {z}{extra}")
    path.write_text("\n".join(lines) + "\n")
    return Expected(len(particles), found, background)
