"""Weighted back-projection: ramp filter, point sources, amplitude, missing wedge."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.reconstruction import ramp_kernel, weighted_back_projection
from simulation.tilt_operator import TiltOperator

SHAPE = (48, 8, 48)


def test_ramp_filter_is_the_absolute_frequency() -> None:
    response = ramp_kernel(1024)
    frequency = np.fft.rfftfreq(1024)
    middle = (frequency > 0.02) & (frequency < 0.48)
    assert np.allclose(response[middle], frequency[middle], rtol=0.01)
    assert 0 < response[0] < 1e-3  # a small positive weight keeps flat regions flat


def _reconstruct(volume: np.ndarray, tilts: np.ndarray) -> np.ndarray:
    operator = TiltOperator(volume.shape, tilts)
    return np.asarray(weighted_back_projection(operator.project(volume), operator))


def test_a_point_source_reconstructs_at_its_place() -> None:
    volume = np.zeros(SHAPE, dtype=np.float32)
    volume[30, 4, 17] = 1.0
    reconstruction = _reconstruct(volume, np.arange(-60.0, 61.0, 2.0))
    assert tuple(int(i) for i in np.unravel_index(np.argmax(reconstruction), SHAPE)) == (30, 4, 17)


def _blob(sigma: float) -> np.ndarray:
    z, _, x = np.indices(SHAPE).astype(np.float64) - 24
    return np.asarray(np.exp(-((x - 3) ** 2 + (z + 2) ** 2) / (2 * sigma**2)), dtype=np.float32)


def test_full_angular_range_restores_the_values() -> None:
    blob = _blob(3.0)
    reconstruction = _reconstruct(blob, np.arange(-89.0, 90.0, 1.0))
    assert reconstruction.max() == pytest.approx(1.0, rel=0.05)
    core = blob > 0.2
    assert np.allclose(reconstruction[core], blob[core], atol=0.05)


def test_missing_wedge_elongates_along_z() -> None:
    blob = _blob(2.0)
    reconstruction = _reconstruct(blob, np.arange(-45.0, 46.0, 3.0))
    row = reconstruction[22, 4, :]  # through the centre (z = 22, x = 27) along x
    column = reconstruction[:, 4, 27]
    width_x = np.count_nonzero(row > row.max() / 2)
    width_z = np.count_nonzero(column > column.max() / 2)
    assert width_z > 1.3 * width_x
