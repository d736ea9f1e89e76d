"""Rotation sets for template matching and rotating templates on the GPU or CPU."""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial.transform import Rotation


def rotation_set(step: float) -> np.ndarray:
    """ZXZ Euler angles (R, 3) in degrees (PHI, THETA, PSI), about `step` degrees apart.

    The template axis R·ẑ points at polar angle THETA and azimuth PHI − 90°: THETA runs over
    [0°, 180°] in steps of about `step`, each ring gets a number of PHI values proportional to
    sin THETA (so directions cover the sphere evenly), and PSI turns about the axis in steps
    of about `step`. Raises ValueError for a step outside (0°, 180°].
    """
    if not 0 < step <= 180:
        raise ValueError(f"angular step must be in (0, 180] degrees, got {step}")
    rings = max(round(180 / step), 1)
    in_plane = max(round(360 / step), 1)
    psis = np.arange(in_plane) * 360 / in_plane
    angles: list[tuple[float, float, float]] = []
    for theta in np.linspace(0, 180, rings + 1):
        around = max(round(360 * np.sin(np.deg2rad(theta)) / step), 1)
        for phi in np.arange(around) * 360 / around:
            angles.extend((phi, theta, psi) for psi in psis)
    return np.array(angles, dtype=np.float64)


def rotation_matrices(angles: np.ndarray) -> np.ndarray:
    """Matrices (R, 3, 3) of R = Rz(PHI)·Rx(THETA)·Rz(PSI), acting on (x, y, z) vectors."""
    matrices: np.ndarray = Rotation.from_euler("ZXZ", angles, degrees=True).as_matrix()
    return matrices


def rotate_volumes(volume: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Copies (B, s, s, s) of a cubic `volume` [z, y, x] rotated about its centre voxel by each
    matrix (B, 3, 3) (acting on x, y, z), by trilinear interpolation; outside is zero."""
    count, side = matrices.shape[0], volume.shape[0]
    # grid_sample looks each output point p up at R⁻¹·p = Rᵀ·p in the input
    theta = torch.zeros((count, 3, 4), dtype=volume.dtype, device=volume.device)
    theta[:, :, :3] = matrices.transpose(1, 2).to(volume.dtype)
    grid = torch.nn.functional.affine_grid(theta, [count, 1, side, side, side], align_corners=True)
    batch = volume[None, None].expand(count, 1, side, side, side)
    rotated = torch.nn.functional.grid_sample(batch, grid, mode="bilinear", align_corners=True)
    return rotated[:, 0]
