"""What every baseline learns from the training tomograms before anything else.

Contrast polarity (are particles brighter or darker than the solvent), the radius of each class
in voxels (from the hitbox volumes) and the z-range of the sample slab. They are facts of a
dataset version, so they carry over to its test tomogram.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.dataset import Tomogram, read_tomogram
from baselines.errors import BaselineError
from evaluation.classes import CLASSES


@dataclass(frozen=True)
class DatasetPriors:
    """`contrast` is +1 or -1 so that `contrast * volume` shows particles bright;
    `class_radii[c - 1]` is the equivalent-sphere radius (voxels) of class c; `z_range` is the
    half-open slice range [low, high) that holds the sample."""

    contrast: float
    class_radii: tuple[float, ...]
    z_range: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for a model file."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> DatasetPriors:
        """The inverse of `to_dict`."""
        low, high = values["z_range"]
        return cls(float(values["contrast"]), tuple(values["class_radii"]), (int(low), int(high)))

    def binned(self, factor: int) -> DatasetPriors:
        """The same priors on a grid binned by `factor` (radii and slab in binned voxels)."""
        low, high = self.z_range
        radii = tuple(radius / factor for radius in self.class_radii)
        return DatasetPriors(self.contrast, radii, (low // factor, -(-high // factor)))

    def radius_of(self, classes: np.ndarray) -> np.ndarray:
        """Radii (voxels) of an array of class indices 1..12."""
        radii: np.ndarray = np.asarray(self.class_radii)[np.asarray(classes) - 1]
        return radii


def learn_priors(tomograms: list[Tomogram]) -> DatasetPriors:
    """Measure contrast, class radii and the sample slab on annotated training tomograms.

    Raises BaselineError when the tomograms hold no particles.
    """
    inside: list[float] = []
    outside: list[float] = []
    radii_by_class: list[list[float]] = [[] for _ in CLASSES]
    low, high = np.inf, -np.inf
    for tomogram in tomograms:
        truth = tomogram.annotated()
        if len(truth.classes) == 0:
            continue
        occupied = truth.occupancy > 0
        inside.append(float(tomogram.volume[occupied].mean()))
        outside.append(float(tomogram.volume[~occupied].mean()))
        voxels = np.bincount(truth.occupancy.ravel(), minlength=len(truth.classes) + 1)[1:]
        for class_index, count in zip(truth.classes, voxels[: len(truth.classes)], strict=True):
            if count > 0:
                radii_by_class[class_index - 1].append((3 * count / (4 * np.pi)) ** (1 / 3))
        low = min(low, float(truth.centres[:, 0].min()))
        high = max(high, float(truth.centres[:, 0].max()))
    if not inside:
        raise BaselineError("the training tomograms hold no particles")
    measured = [float(np.median(radii)) for radii in radii_by_class if radii]
    # a class absent from training gets the median radius of the others
    radii = tuple(float(np.median(r)) if r else float(np.median(measured)) for r in radii_by_class)
    depth = tomograms[0].volume.shape[0]
    margin = max(radii)
    z_range = (max(int(low - margin), 0), min(int(np.ceil(high + margin)) + 1, depth))
    contrast = 1.0 if np.mean(inside) >= np.mean(outside) else -1.0
    return DatasetPriors(contrast, radii, z_range)


def read_training_set(
    folders: list[Path], limit: int | None = None
) -> tuple[list[Tomogram], DatasetPriors]:
    """Read (at most `limit` of) the training tomograms with their truth, and learn the priors.

    Raises BaselineError for unreadable files or tomograms without particles.
    """
    tomograms = [read_tomogram(folder, with_truth=True) for folder in folders[:limit]]
    return tomograms, learn_priors(tomograms)


def oriented_volume(
    tomogram: Tomogram, priors: DatasetPriors, device: torch.device
) -> torch.Tensor:
    """The tomogram's volume on `device`, with particles made bright."""
    return torch.from_numpy(tomogram.volume * np.float32(priors.contrast)).to(device)
