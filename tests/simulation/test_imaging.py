"""Noise models and per-tilt defocus: measured against what was asked for."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from simulation import SimulationParameters
from simulation.imaging import add_noise, tilt_defoci


def _smooth_images(count: int, size: int = 128) -> np.ndarray:
    rng = np.random.default_rng(4)
    raw = rng.standard_normal((count, size, size))
    return np.asarray(ndimage.gaussian_filter(raw, (0, 3, 3)), dtype=np.float32)


@pytest.mark.parametrize("snr", [0.02, 0.5])
def test_measured_snr_matches_the_request(snr: float) -> None:
    clean = _smooth_images(6)
    clean *= np.arange(1, 7, dtype=np.float32)[:, None, None]  # images of different power
    params = SimulationParameters(snr=snr)
    noisy = add_noise(clean, params, np.random.default_rng(0))
    measured = clean.var(axis=(1, 2)) / (noisy - clean).var(axis=(1, 2))
    assert np.allclose(measured, snr, rtol=0.03)


def test_noise_is_white_and_independent_between_tilts() -> None:
    clean = np.zeros((2, 128, 128), dtype=np.float32)
    clean[:, 60:68, 60:68] = 1.0
    noise = add_noise(clean, SimulationParameters(), np.random.default_rng(1)) - clean
    assert abs(np.corrcoef(noise[0].ravel(), noise[1].ravel())[0, 1]) < 0.02
    assert abs(np.corrcoef(noise[0, :, :-1].ravel(), noise[0, :, 1:].ravel())[0, 1]) < 0.02


def test_dose_gives_poisson_noise() -> None:
    # 100 e/Å² over 2 tilts on (10 Å)² pixels: N0 = 5000 electrons per pixel, so the
    # contrast counts/N0 - 1 of a blank image has mean 0 and variance 1/N0
    params = SimulationParameters(dose=100.0)
    blank = np.zeros((2, 256, 256), dtype=np.float32)
    noisy = add_noise(blank, params, np.random.default_rng(2))
    assert abs(float(noisy.mean())) < 1e-3
    assert float(noisy.var()) == pytest.approx(1 / 5000, rel=0.03)
    # darker pixels (contrast -0.5) receive half the electrons: variance 0.5 / N0
    dark = add_noise(blank - 0.5, params, np.random.default_rng(3))
    assert float(dark.mean()) == pytest.approx(-0.5, abs=1e-3)
    assert float(dark.var()) == pytest.approx(0.5 / 5000, rel=0.03)


def test_defocus_per_tilt() -> None:
    constant = tilt_defoci(SimulationParameters(defocus_um=3.0), np.random.default_rng(0))
    assert constant.shape == (61,)
    assert np.all(constant == 3000.0)
    params = SimulationParameters(defocus_um=3.0, defocus_variation=0.2, tilt_step=0.1)
    varied = tilt_defoci(params, np.random.default_rng(0))
    assert varied.mean() == pytest.approx(3000.0, abs=10.0)
    assert varied.std() == pytest.approx(200.0, rel=0.05)
