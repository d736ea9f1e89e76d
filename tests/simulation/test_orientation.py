"""Orientation convention: ZXZ angles as the evaluator reads them, and uniform sampling."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from simulation.orientation import random_angles, rotate_volume, rotation_matrix


def _rod_along_x() -> np.ndarray:
    volume = np.zeros((21, 21, 21), dtype=np.float32)
    volume[10, 10, 10:18] = 1.0  # [z, y, x]: from the centre towards +x
    return volume


def _tip(volume: np.ndarray) -> np.ndarray:
    """Voxel (x, y, z) of the rod's far end, relative to the centre."""
    points = np.argwhere(volume > 0.5)[:, ::-1] - 10
    return np.asarray(points[np.argmax(np.linalg.norm(points, axis=1))])


@pytest.mark.parametrize(
    ("angles", "expected_tip"),
    [
        ((90.0, 0.0, 0.0), (0, 7, 0)),  # Rz(90): x -> y
        ((0.0, 0.0, -90.0), (0, -7, 0)),  # Rz(-90): x -> -y
        # R = Rz(0)·Rx(90)·Rz(90): Rz(90) takes x to y, then Rx(90) takes y to z (extrinsic
        # "zxz" order would give y instead)
        ((0.0, 90.0, 90.0), (0, 0, 7)),
        ((90.0, 90.0, 0.0), (0, 7, 0)),  # Rx(90) keeps x, Rz(90) takes it to y
    ],
)
def test_rotation_moves_a_rod_where_the_matrix_says(
    angles: tuple[float, float, float], expected_tip: tuple[int, int, int]
) -> None:
    matrix = rotation_matrix(angles)
    assert np.allclose(matrix @ np.array([7.0, 0, 0]), expected_tip, atol=1e-9)
    assert np.array_equal(_tip(rotate_volume(_rod_along_x(), angles)), expected_tip)


def test_matrix_is_scipy_intrinsic_zxz() -> None:
    angles = (30.0, 50.0, 70.0)
    expected = Rotation.from_euler("ZXZ", angles, degrees=True).as_matrix()
    by_hand = (
        Rotation.from_euler("z", 30, degrees=True)
        * Rotation.from_euler("x", 50, degrees=True)
        * Rotation.from_euler("z", 70, degrees=True)
    ).as_matrix()
    assert np.allclose(rotation_matrix(angles), expected)
    assert np.allclose(rotation_matrix(angles), by_hand)


def test_random_angles_are_uniform_rotations() -> None:
    rng = np.random.default_rng(3)
    angles = np.array([random_angles(rng) for _ in range(4000)])
    # uniform on SO(3): cos(theta) uniform on [-1, 1]; phi and psi uniform on (-180, 180]
    cos_theta = np.cos(np.deg2rad(angles[:, 1]))
    assert abs(cos_theta.mean()) < 0.04
    assert cos_theta.var() == pytest.approx(1 / 3, abs=0.03)
    for column in (0, 2):
        assert abs(angles[:, column].mean()) < 8
        assert angles[:, column].var() == pytest.approx(360**2 / 12, rel=0.06)
    assert np.array_equal(angles, np.round(angles, 4))
