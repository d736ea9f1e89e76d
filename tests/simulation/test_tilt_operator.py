"""The sparse tilt operator: exact line integrals at 0°, geometry, adjoint, conservation."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.tilt_operator import TiltOperator

TILTS = np.array([-60.0, -30.0, 0.0, 30.0, 60.0])


def test_zero_tilt_is_the_sum_along_z() -> None:
    rng = np.random.default_rng(0)
    volume = rng.random((20, 17, 33), dtype=np.float32)
    series = TiltOperator((20, 17, 33), np.array([0.0])).project(volume)
    assert np.allclose(series[0], volume.sum(axis=0), atol=1e-4)


def test_a_voxel_lands_where_the_geometry_says() -> None:
    # width 33: detector centre bin 16. Voxel at x = +3, z = +4 from the volume centre
    # (the z centre of 21 slices is slice 10); at 30°: u = 3 cos 30° + 4 sin 30° = 4.598
    volume = np.zeros((21, 5, 33), dtype=np.float32)
    volume[14, 2, 19] = 1.0
    series = TiltOperator((21, 5, 33), np.array([30.0])).project(volume)
    assert series[0, 2, 20] == pytest.approx(1 - 0.598076, abs=1e-5)
    assert series[0, 2, 21] == pytest.approx(0.598076, abs=1e-5)
    assert series.sum() == pytest.approx(1.0, abs=1e-6)
    assert np.count_nonzero(series[0, [0, 1, 3, 4]]) == 0  # y rows are independent


def test_projection_of_a_slab_block_uses_its_z_position() -> None:
    full = np.zeros((21, 5, 33), dtype=np.float32)
    full[14, 2, 19] = 1.0
    operator = TiltOperator((21, 5, 33), TILTS)
    assert np.allclose(operator.project(full[10:16], z_start=10), operator.project(full))


def test_mass_is_conserved_at_every_tilt() -> None:
    volume = np.zeros((24, 8, 48), dtype=np.float32)
    volume[8:16, :, 18:30] = np.random.default_rng(1).random((8, 8, 12), dtype=np.float32)
    series = TiltOperator((24, 8, 48), TILTS).project(volume)
    assert np.allclose(series.sum(axis=(1, 2)), volume.sum(), rtol=1e-5)


def test_an_off_centre_gaussian_projects_to_the_analytic_profile() -> None:
    # a 2-D Gaussian (sigma 2.5) at x0 = 6, z0 = -4 from the centre, constant along y: its
    # line integral is sqrt(2 pi) sigma exp(-(u - u0)^2 / 2 sigma^2), u0 = x0 cos t + z0 sin t
    sigma, x0, z0 = 2.5, 6.0, -4.0
    z, _, x = np.indices((41, 3, 41)).astype(np.float64) - 20
    blob = np.exp(-((x - x0) ** 2 + (z - z0) ** 2) / (2 * sigma**2)).astype(np.float32)
    series = TiltOperator((41, 3, 41), TILTS).project(blob)
    detector = np.arange(41) - 20
    for tilt, image in zip(TILTS, series, strict=True):
        centre = x0 * np.cos(np.deg2rad(tilt)) + z0 * np.sin(np.deg2rad(tilt))
        expected = np.sqrt(2 * np.pi) * sigma * np.exp(-((detector - centre) ** 2) / (2 * sigma**2))
        assert np.abs(image[1] - expected).max() < 0.03 * expected.max(), tilt


def test_back_projection_is_the_adjoint() -> None:
    rng = np.random.default_rng(2)
    operator = TiltOperator((30, 12, 40), TILTS)
    volume = rng.random((30, 12, 40))
    series = rng.random((5, 12, 40))
    left = float((operator.project(volume.astype(np.float32)) * series).sum())
    right = float((operator.back_project(series.astype(np.float32)) * volume).sum())
    assert left == pytest.approx(right, rel=1e-5)


def test_shapes_that_do_not_fit_are_refused() -> None:
    operator = TiltOperator((30, 12, 40), TILTS)
    with pytest.raises(ValueError, match="does not fit"):
        operator.project(np.zeros((10, 12, 41), dtype=np.float32))
    with pytest.raises(ValueError, match="does not fit"):
        operator.project(np.zeros((10, 12, 40), dtype=np.float32), z_start=25)
    with pytest.raises(ValueError, match="does not fit"):
        operator.back_project(np.zeros((4, 12, 40), dtype=np.float32))
    with pytest.raises(ValueError, match="at least one tilt"):
        TiltOperator((30, 12, 40), np.array([]))
