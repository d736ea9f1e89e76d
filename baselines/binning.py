"""Binning: averaging factor³ blocks of voxels, and moving coordinates between the grids."""

from __future__ import annotations

import numpy as np
import torch


def bin_volume(volume: torch.Tensor, factor: int) -> torch.Tensor:
    """The mean of each factor³ block of `volume` [z, y, x]; a partial block at an end is
    dropped. A factor of 1 returns the volume itself."""
    if factor == 1:
        return volume
    return torch.nn.functional.avg_pool3d(volume[None, None], factor)[0, 0]


def bin_labels(labels: torch.Tensor, factor: int) -> torch.Tensor:
    """An integer label volume on the binned grid: the label of voxel factor//2 of each block
    (labels cannot be averaged)."""
    if factor == 1:
        return labels
    shape = [size // factor for size in labels.shape]
    start = factor // 2
    picked = labels[start::factor, start::factor, start::factor]
    return picked[: shape[0], : shape[1], : shape[2]]


def unbinned(coordinates: np.ndarray, factor: int) -> np.ndarray:
    """Centres, in original voxels, of binned voxels at `coordinates` (N, 3)."""
    centres: np.ndarray = np.asarray(coordinates, dtype=np.float64) * factor + (factor - 1) / 2
    return centres


def binned(coordinates: np.ndarray, factor: int) -> np.ndarray:
    """The binned voxels (N, 3) holding original voxel `coordinates` (N, 3)."""
    voxels: np.ndarray = np.floor(np.asarray(coordinates) / factor).astype(np.int64)
    return voxels
