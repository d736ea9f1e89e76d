"""Peak picking on score maps: local maxima by max-pooling, then greedy distance suppression."""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree


def box_maximum(score: torch.Tensor, radius: int) -> torch.Tensor:
    """The maximum of `score` [z, y, x] over the (2·radius+1)³ box around every voxel (the
    box is cut at the volume's borders).

    A box maximum is separable: per axis, each voxel takes the maximum of its neighbours up to
    `radius` away, as 2·radius element-wise maxima of shifted views, which on a CPU is far
    faster than a 3-D max-pool.
    """
    pooled = score.clone()
    for axis in range(3):
        source = pooled.clone()
        length = score.shape[axis]
        for shift in range(1, min(radius, length - 1) + 1):
            ahead = pooled.narrow(axis, 0, length - shift)
            torch.maximum(ahead, source.narrow(axis, shift, length - shift), out=ahead)
            behind = pooled.narrow(axis, shift, length - shift)
            torch.maximum(behind, source.narrow(axis, 0, length - shift), out=behind)
    return pooled


def local_maxima(
    score: torch.Tensor, radius: int, threshold: float, z_range: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Voxels of `score` [z, y, x] that are the maximum of their (2·radius+1)³ neighbourhood
    and above `threshold`, restricted to slices `z_range` when given.

    Returns their (z, y, x) coordinates (N, 3) and values (N,), highest value first. Voxels of a
    flat top all qualify; `suppress_close` thins them.
    """
    pooled = box_maximum(score, radius)
    is_peak = (score >= pooled) & (score > threshold)
    if z_range is not None:
        is_peak[: z_range[0]] = False
        is_peak[z_range[1] :] = False
    coordinates = torch.nonzero(is_peak)
    values = score[is_peak]
    order = torch.argsort(values, descending=True, stable=True)
    return coordinates[order].cpu().numpy(), values[order].float().cpu().numpy()


def suppress_close(
    coordinates: np.ndarray, scores: np.ndarray, min_distance: float | np.ndarray
) -> np.ndarray:
    """Indices of the peaks kept by greedy non-maximum suppression, best score first.

    Peaks are visited from the highest score down; a peak is kept unless it lies closer to an
    already kept peak than the larger of their two `min_distance` values (one value for all,
    or one per peak, in voxels): two centres that close cannot be two particles.
    """
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    radii = np.broadcast_to(np.asarray(min_distance, dtype=np.float64), scores.shape)
    pairs = cKDTree(coordinates).query_pairs(float(radii.max()), output_type="ndarray")
    distances = np.linalg.norm(coordinates[pairs[:, 0]] - coordinates[pairs[:, 1]], axis=1)
    pairs = pairs[distances < np.maximum(radii[pairs[:, 0]], radii[pairs[:, 1]])]
    neighbours: list[list[int]] = [[] for _ in scores]
    for first, second in pairs.tolist():
        neighbours[first].append(second)
        neighbours[second].append(first)
    suppressed = np.zeros(len(scores), dtype=bool)
    kept = []
    for index in np.argsort(-scores, kind="stable"):
        if suppressed[index]:
            continue
        kept.append(index)
        suppressed[neighbours[index]] = True
    return np.array(kept, dtype=np.int64)
