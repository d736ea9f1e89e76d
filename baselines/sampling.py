"""Drawing training examples: class-balanced choices and random background positions."""

from __future__ import annotations

import numpy as np


def background_positions(
    occupancy: np.ndarray, z_range: tuple[int, int], count: int, rng: np.random.Generator
) -> np.ndarray:
    """Up to `count` random (z, y, x) voxels of slices `z_range` that belong to no particle."""
    extent = np.array([z_range[1] - z_range[0], *occupancy.shape[1:]])
    points = rng.integers(0, extent, size=(count, 3)) + np.array([z_range[0], 0, 0])
    free: np.ndarray = points[occupancy[points[:, 0], points[:, 1], points[:, 2]] == 0]
    return free


def balanced_choice(
    labels: np.ndarray, count: int, background_fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Indices into `labels` (0 = background, 1..12 = classes) of `count` examples.

    Each example is background with probability `background_fraction`, else of a particle
    class drawn uniformly among those present, so rare classes are seen as often as common
    ones; the example is then drawn uniformly among those of its label. When only one kind
    (background or particles) exists, it is always drawn.
    """
    by_label = {int(label): np.flatnonzero(labels == label) for label in np.unique(labels)}
    if not by_label:
        raise ValueError("no examples to choose from")
    classes = np.array([label for label in by_label if label > 0], dtype=np.int64)
    if len(classes) == 0:
        chosen_labels = np.zeros(count, dtype=np.int64)
    else:
        chosen_labels = classes[rng.integers(len(classes), size=count)]
        if 0 in by_label:
            chosen_labels[rng.random(count) < background_fraction] = 0
    chosen = np.empty(count, dtype=np.int64)
    for label, members in by_label.items():
        slots = np.flatnonzero(chosen_labels == label)
        chosen[slots] = members[rng.integers(len(members), size=len(slots))]
    return chosen
