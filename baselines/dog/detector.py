"""Scale-space Difference-of-Gaussians blob detection (the picking half of DoG-CB3D)."""

from __future__ import annotations

import math

import numpy as np
import torch

from baselines.fourier import gaussian_transfer, reflect_pad
from baselines.peaks import local_maxima, suppress_close


def scale_space(smallest_radius: float, largest_radius: float, ratio: float) -> list[float]:
    """Gaussian widths σ, growing by `ratio`, that cover blobs of the given radii (voxels).

    A solid sphere of radius r answers a DoG best near σ = r / √3, so the list runs from the
    smallest radius's σ until the largest one's is reached.
    """
    sigma, last = smallest_radius / math.sqrt(3), largest_radius / math.sqrt(3)
    sigmas = [sigma]
    while sigmas[-1] < last:
        sigmas.append(sigmas[-1] * ratio)
    return sigmas


def dog_response(volume: torch.Tensor, sigmas: list[float], ratio: float) -> torch.Tensor:
    """The strongest response over scales of G(σ) − G(ratio·σ) filtering of `volume` [z, y, x].

    Bright blobs give positive peaks at their centres. The volume is mirrored at its borders
    before filtering in Fourier space, so the filter does not wrap around.
    """
    margin = math.ceil(3 * sigmas[-1] * ratio)
    padded = reflect_pad(volume, margin)
    shape = (padded.shape[0], padded.shape[1], padded.shape[2])
    spectrum = torch.fft.rfftn(padded)
    best: torch.Tensor | None = None
    for sigma in sigmas:
        transfer = gaussian_transfer(shape, sigma, volume.device)
        transfer = transfer - gaussian_transfer(shape, sigma * ratio, volume.device)
        filtered = torch.fft.irfftn(spectrum * transfer, s=shape)
        edge = [(padded.shape[axis] - volume.shape[axis]) // 2 for axis in range(3)]
        cropped = filtered[
            edge[0] : edge[0] + volume.shape[0],
            edge[1] : edge[1] + volume.shape[1],
            edge[2] : edge[2] + volume.shape[2],
        ]
        best = cropped if best is None else torch.maximum(best, cropped)
    assert best is not None, "scale_space always yields at least one σ"
    return best


def dog_candidates(
    volume: torch.Tensor,
    sigmas: list[float],
    ratio: float,
    min_distance: float,
    threshold: float,
    z_range: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """DoG peaks above `threshold` within slices `z_range`, no two closer than `min_distance`.

    Returns (z, y, x) coordinates (N, 3) and responses (N,), strongest first.
    """
    response = dog_response(volume, sigmas, ratio)
    coordinates, values = local_maxima(response, max(int(min_distance) // 2, 1), threshold, z_range)
    kept = suppress_close(coordinates, values, min_distance)
    return coordinates[kept], values[kept]
