"""Fourier-space tools on real volumes [z, y, x] laid out as `torch.fft.rfftn` returns them."""

from __future__ import annotations

import math

import torch


def frequency_grid(
    shape: tuple[int, int, int], device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Frequencies (cycles per voxel) along z, y and x of an rfftn spectrum, broadcastable."""
    depth, height, width = shape
    fz = torch.fft.fftfreq(depth, device=device).view(-1, 1, 1)
    fy = torch.fft.fftfreq(height, device=device).view(1, -1, 1)
    fx = torch.fft.rfftfreq(width, device=device).view(1, 1, -1)
    return fz, fy, fx


def gaussian_transfer(
    shape: tuple[int, int, int], sigma: float, device: torch.device
) -> torch.Tensor:
    """The spectrum multiplier of a Gaussian blur of standard deviation `sigma` voxels."""
    fz, fy, fx = frequency_grid(shape, device)
    return torch.exp(-2 * math.pi**2 * sigma**2 * (fz**2 + fy**2 + fx**2))


def wedge_mask(
    shape: tuple[int, int, int], tilt_range: tuple[float, float], device: torch.device
) -> torch.Tensor:
    """1 where a single-axis tilt series about y sampled the spectrum, 0 in the missing wedge.

    The image at tilt α records, for each y, the line integrals along the beam of the specimen
    turned by α about y (detector coordinate x·cos α + z·sin α, the simulator's convention),
    so by the central slice theorem it samples the direction (kx, kz) ∝ (cos α, sin α). A
    direction is therefore measured when its angle atan2(kz, kx), folded into (-90°, 90°],
    lies inside `tilt_range` (degrees). The ky axis plays no part; the origin is always kept.
    """
    fz, _, fx = frequency_grid(shape, device)
    angle = torch.rad2deg(torch.atan2(fz, fx))
    angle = torch.where(angle > 90, angle - 180, angle)
    angle = torch.where(angle <= -90, angle + 180, angle)
    low, high = tilt_range
    sampled = (angle >= low - 1e-6) & (angle <= high + 1e-6)
    sampled = sampled | ((fz == 0) & (fx == 0))
    return sampled.expand(shape[0], shape[1], shape[2] // 2 + 1).to(torch.float32)


def reflect_pad(volume: torch.Tensor, margin: int) -> torch.Tensor:
    """`volume` [z, y, x] mirrored by `margin` voxels on every side (so FFT filters do not wrap)."""
    margin = min(margin, *(size - 1 for size in volume.shape))
    padded = torch.nn.functional.pad(volume[None, None], (margin,) * 6, mode="reflect")
    return padded[0, 0]
