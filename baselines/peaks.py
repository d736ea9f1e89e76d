"""Peak picking on score maps: local maxima by max-pooling, then greedy distance suppression."""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree


def local_maxima(
    score: torch.Tensor, radius: int, threshold: float, z_range: tuple[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Voxels of `score` [z, y, x] that are the maximum of their (2·radius+1)³ neighbourhood
    and above `threshold`, restricted to slices `z_range` when given.

    Returns their (z, y, x) coordinates (N, 3) and values (N,), highest value first. Voxels of a
    flat top all qualify; `suppress_close` thins them.
    """
    pooled = torch.nn.functional.max_pool3d(
        score[None, None], kernel_size=2 * radius + 1, stride=1, padding=radius
    )[0, 0]
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

    Peaks are visited from the highest score down; a peak is kept unless it lies closer than
    the `min_distance` of an already kept peak (one value for all, or one per peak, in voxels).
    """
    if len(scores) == 0:
        return np.zeros(0, dtype=np.int64)
    radii = np.broadcast_to(np.asarray(min_distance, dtype=np.float64), scores.shape)
    tree = cKDTree(coordinates)
    # neighbours strictly closer than the radius of the peak that may suppress them
    neighbours = tree.query_ball_point(coordinates, np.nextafter(radii, 0))
    suppressed = np.zeros(len(scores), dtype=bool)
    kept = []
    for index in np.argsort(-scores, kind="stable"):
        if suppressed[index]:
            continue
        kept.append(index)
        suppressed[neighbours[index]] = True
    return np.array(kept, dtype=np.int64)
