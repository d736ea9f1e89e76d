"""Particle orientations: ZXZ Euler angles and rotating a template volume by them.

The convention is the evaluator's: R = Rz(phi) · Rx(theta) · Rz(psi), intrinsic ZXZ, acting on
template coordinates ordered (x, y, z) about the template's centre voxel, i.e.
``Rotation.from_euler("ZXZ", [phi, theta, psi], degrees=True)``.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.spatial.transform import Rotation

# decimals of the angles written to particle_locations.txt; rotations use the written values
ANGLE_DECIMALS = 4


def random_angles(rng: np.random.Generator) -> tuple[float, float, float]:
    """A uniformly random rotation as (phi, theta, psi) in degrees, rounded as written."""
    rotation = Rotation.random(rng=rng)
    phi, theta, psi = rotation.as_euler("ZXZ", degrees=True)
    return (
        round(float(phi), ANGLE_DECIMALS),
        round(float(theta), ANGLE_DECIMALS),
        round(float(psi), ANGLE_DECIMALS),
    )


def rotation_matrix(angles: tuple[float, float, float]) -> np.ndarray:
    """The 3×3 matrix R acting on (x, y, z) column vectors for ZXZ angles in degrees."""
    return np.asarray(Rotation.from_euler("ZXZ", angles, degrees=True).as_matrix())


def rotate_volume(volume: np.ndarray, angles: tuple[float, float, float]) -> np.ndarray:
    """The volume [z, y, x] rotated by R about its centre voxel, linear interpolation.

    The output voxel at r holds the input at R⁻¹·r, so an object pointing along a in the
    input points along R·a in the output.
    """
    matrix_xyz = rotation_matrix(angles)
    # the same map in array-index order (z, y, x); R is orthogonal so R⁻¹ = Rᵀ
    inverse_zyx = matrix_xyz[::-1, ::-1].T
    centre = (np.array(volume.shape, dtype=np.float64) - 1) / 2
    offset = centre - inverse_zyx @ centre
    rotated = ndimage.affine_transform(
        volume, inverse_zyx, offset=offset, order=1, mode="constant", cval=0.0
    )
    return np.asarray(rotated, dtype=volume.dtype)
