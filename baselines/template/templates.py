"""The class templates, from the simulator, binned and boxed for matching."""

from __future__ import annotations

import numpy as np
import torch

from baselines.binning import bin_volume
from evaluation.classes import CLASSES


def bin_template(template: np.ndarray, binning: int) -> torch.Tensor:
    """Average `binning`³ blocks of a cubic template and return an odd-sided cube.

    The box is padded at its end first so that its side divides by `binning`, and once more
    at the end if the binned side is even, which keeps the centre voxel side // 2 in place.
    """
    volume = torch.tensor(np.asarray(template, dtype=np.float32))
    side = max(volume.shape)
    padded_side = -(-side // binning) * binning
    pads = [(0, padded_side - size) for size in volume.shape]
    volume = torch.nn.functional.pad(volume, [amount for pair in reversed(pads) for amount in pair])
    binned = bin_volume(volume, binning)
    if binned.shape[0] % 2 == 0:
        binned = torch.nn.functional.pad(binned, (0, 1, 0, 1, 0, 1))
    return binned


def class_templates(voxel_size: float, binning: int) -> list[torch.Tensor]:
    """Templates of the 12 classes (order of CLASSES) at `voxel_size` (the simulator's unit),
    binned by `binning`."""
    from simulation import load_template  # the simulator is only needed when training

    return [bin_template(load_template(name, voxel_size=voxel_size), binning) for name in CLASSES]
