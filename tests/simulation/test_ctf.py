"""CTF: electron optics constants, zeros at the analytic frequencies, phase flipping."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from simulation import SimulationParameters
from simulation.ctf import (
    Microscope,
    electron_wavelength_nm,
    frequency_grid_sq,
    interaction_constant,
    strip_defoci,
)
from simulation.imaging import contrast_images, phase_flip


def test_relativistic_wavelength() -> None:
    # λ = h / sqrt(2 m e V (1 + e V / 2 m c²)): 1.9687 pm at 300 kV, 2.5079 pm at 200 kV
    assert electron_wavelength_nm(300) == pytest.approx(1.9687e-3, rel=1e-4)
    assert electron_wavelength_nm(200) == pytest.approx(2.5079e-3, rel=1e-4)


def test_interaction_constant() -> None:
    # σ = 2π / (λ V) · (m c² + e V) / (2 m c² + e V) = 6.526e-4 rad/(V·Å) at 300 kV
    assert interaction_constant(300) == pytest.approx(6.526e-3, rel=1e-3)


def test_ctf_at_zero_frequency_is_minus_the_amplitude_contrast() -> None:
    assert Microscope().ctf(np.array([0.0]), 3000.0)[0] == pytest.approx(-0.07)


def test_first_zero_by_hand() -> None:
    # Cs = 0: π λ Δf k² = π - asin(A) -> k = sqrt((π - 0.070057) / (π · 0.0019687 · 3000))
    k_first = math.sqrt((math.pi - math.asin(0.07)) / (math.pi * 1.9687e-3 * 3000))
    assert k_first == pytest.approx(0.40686, abs=1e-4)
    assert Microscope(cs_mm=0.0).zeros(3000.0, 1)[0] == pytest.approx(k_first, rel=1e-4)


def test_analytic_zeros_are_zeros_of_the_function() -> None:
    optics = Microscope()
    zeros = optics.zeros(2000.0, 8)
    assert np.all(np.diff(zeros) > 0)
    assert np.abs(optics.ctf(zeros**2, 2000.0)).max() < 1e-9
    between = (zeros[:-1] + zeros[1:]) / 2
    signs = np.sign(optics.ctf(between**2, 2000.0))
    assert np.all(signs[:-1] == -signs[1:])  # the sign alternates between zeros


def _radial_power(images: np.ndarray, pixel_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean power per radial frequency bin (nm⁻¹) of a stack of square images."""
    size = images.shape[-1]
    power = (np.abs(np.fft.rfft2(images)) ** 2).mean(axis=0)
    radius = np.sqrt(frequency_grid_sq((size, size), pixel_nm))
    step = 1 / (size * pixel_nm)
    bins = np.round(radius / step).astype(int)
    profile = np.bincount(bins.ravel(), power.ravel()) / np.bincount(bins.ravel())
    return np.arange(profile.size) * step, profile


def test_measured_thon_rings_sit_at_the_analytic_zeros() -> None:
    # white-noise phase through the simulator's imaging: the power spectrum is the CTF²,
    # whose minima must fall at the analytic zeros (0.2 nm pixels show 6 rings at 1.5 µm)
    params = SimulationParameters(
        voxel_size=0.2, defocus_um=1.5, tilt_min=-1, tilt_max=1, tilt_step=2, defocus_gradient=False
    )
    rng = np.random.default_rng(0)
    potential = rng.standard_normal((2, 256, 256)).astype(np.float32)
    images = contrast_images(potential, np.array([1500.0, 1500.0]), params)
    frequency, profile = _radial_power(images, 0.2)
    expected = Microscope().zeros(1500.0, 6)
    step = frequency[1]
    for k_zero in expected:
        window = np.abs(frequency - k_zero) < 4 * step
        measured = frequency[window][np.argmin(profile[window])]
        assert measured == pytest.approx(k_zero, abs=1.01 * step)


def test_phase_flip_gives_every_band_the_first_lobe_sign() -> None:
    params = SimulationParameters(
        voxel_size=0.5, defocus_um=2.0, tilt_min=-1, tilt_max=1, tilt_step=2, defocus_gradient=False
    )
    rng = np.random.default_rng(1)
    potential = rng.standard_normal((2, 128, 128)).astype(np.float32)
    defoci = np.array([2000.0, 2000.0])
    corrected = phase_flip(contrast_images(potential, defoci, params), defoci, params)
    # the corrected transfer is -|CTF|: every frequency keeps the sign it has at k = 0
    ratio = np.fft.rfft2(corrected) / np.fft.rfft2(
        potential - potential.mean(axis=(1, 2), keepdims=True)
    )
    frequency_sq = frequency_grid_sq((128, 128), 0.5)
    ctf = Microscope().ctf(frequency_sq, 2000.0)
    sigma = interaction_constant(300) * 0.5
    valid = (np.abs(ctf) > 1e-3) & (frequency_sq > 0)  # the mean was removed: skip k = 0
    expected = -2 * sigma * np.abs(ctf)
    assert np.allclose(
        ratio[:, valid].real,
        np.broadcast_to(expected[valid], ratio[:, valid].shape),
        rtol=1e-3,
        atol=1e-7,
    )
    assert np.abs(ratio[:, valid].imag).max() < 1e-6


def test_without_ctf_the_contrast_is_the_negative_phase() -> None:
    params = SimulationParameters(ctf=False, tilt_min=-1, tilt_max=1, tilt_step=2)
    potential = np.zeros((2, 16, 16), dtype=np.float32)
    potential[:, 8, 8] = 10.0  # V·voxel
    images = contrast_images(potential, np.array([3000.0, 3000.0]), params)
    phase = interaction_constant(300) * 10.0
    assert images[0, 8, 8] == pytest.approx(-2 * phase * (1 - 1 / 256), rel=1e-5)
    assert phase_flip(images, np.array([0.0, 0.0]), params) is images


def test_defocus_gradient_strips() -> None:
    wavelength = electron_wavelength_nm(300)
    flat = strip_defoci(3000.0, 0.0, 512, 1.0, wavelength)
    assert flat == [(0, 512, 3000.0)]
    tilted = strip_defoci(3000.0, 60.0, 512, 1.0, wavelength)
    assert len(tilted) > 1
    assert tilted[0][0] == 0
    assert tilted[-1][1] == 512
    defoci = [defocus for _, _, defocus in tilted]
    # at +60° the side at u > 0 sinks away from the source (beam along -z): less underfocus
    assert all(a > b for a, b in itertools.pairwise(defoci))
    assert np.mean(defoci) == pytest.approx(3000.0, abs=1.0)
    # 512 columns x tan 60° = 887 nm of height, split into strips of equal width
    assert defoci[0] - defoci[-1] == pytest.approx(887 * (1 - 1 / len(tilted)), rel=0.01)
