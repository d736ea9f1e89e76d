"""From projected potential to recorded tilt images: phase, CTF, noise, CTF correction."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.fft

from simulation.ctf import (
    Microscope,
    electron_wavelength_nm,
    frequency_grid_sq,
    interaction_constant,
    strip_defoci,
)
from simulation.parameters import SimulationParameters

Transfer = Callable[[np.ndarray, float], np.ndarray]


def microscope(params: SimulationParameters) -> Microscope:
    """The optics described by the parameters."""
    return Microscope(params.voltage_kv, params.cs_mm, params.amplitude_contrast)


def tilt_defoci(params: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Defocus (nm, underfocus positive) of each tilt: nominal plus Gaussian variation."""
    count = params.tilt_angles().size
    variation = rng.standard_normal(count) * params.defocus_variation
    return (params.defocus_um + variation) * 1e3


def _filter_by_strips(
    images: np.ndarray, defoci: np.ndarray, params: SimulationParameters, transfer: Transfer
) -> np.ndarray:
    """Multiply each image's spectrum by transfer(k², local defocus), strip by strip."""
    pixel = params.voxel_size
    wavelength = electron_wavelength_nm(params.voltage_kv)
    frequency_sq = frequency_grid_sq(images.shape[1:], pixel)
    filtered = np.empty_like(images)
    for index, (image, tilt, defocus) in enumerate(
        zip(images, params.tilt_angles(), defoci, strict=True)
    ):
        spectrum = scipy.fft.rfft2(image, workers=-1)  # float32 in, complex64 out
        if params.defocus_gradient:
            strips = strip_defoci(float(defocus), float(tilt), image.shape[1], pixel, wavelength)
        else:
            strips = [(0, image.shape[1], float(defocus))]
        for start, stop, local_defocus in strips:
            response = transfer(frequency_sq, local_defocus).astype(np.float32)
            result = scipy.fft.irfft2(spectrum * response, s=image.shape, workers=-1)
            filtered[index, :, start:stop] = result[:, start:stop]
    return filtered


def contrast_images(
    projected_potential: np.ndarray, defoci: np.ndarray, params: SimulationParameters
) -> np.ndarray:
    """Noise-free image contrast (I/I₀ - 1) of each tilt from line integrals (V·voxel).

    The phase is σ_e times the projected potential; its mean per image (a uniform phase
    shift, invisible) is removed before the CTF. Without CTF the transfer is -1 everywhere.
    """
    sigma = interaction_constant(params.voltage_kv) * params.voxel_size
    phase = projected_potential * np.float32(sigma)
    phase -= phase.mean(axis=(1, 2), keepdims=True)
    if not params.ctf:
        return (-2.0 * phase).astype(np.float32)
    optics = microscope(params)
    return (2.0 * _filter_by_strips(phase, defoci, params, optics.ctf)).astype(np.float32)


def add_noise(
    images: np.ndarray, params: SimulationParameters, rng: np.random.Generator
) -> np.ndarray:
    """Noisy copies of the images: Poisson counts from ``dose``, else Gaussian at ``snr``.

    Gaussian: per image, noise variance = var(image) / snr. Dose: each tilt gets
    dose / tilts electrons per Å²; counts ~ Poisson(N₀ · max(1 + contrast, 0)) and the
    result is counts / N₀ - 1.
    """
    if params.dose is None:
        spread = np.sqrt(images.var(axis=(1, 2), keepdims=True) / params.snr)
        noise = rng.standard_normal(images.shape, dtype=np.float32)
        return np.asarray(images + noise * spread.astype(np.float32), dtype=np.float32)
    electrons_per_pixel = params.dose / images.shape[0] * (params.voxel_size * 10.0) ** 2
    expected = electrons_per_pixel * np.clip(1.0 + images, 0.0, None)
    counts = rng.poisson(expected)
    return np.asarray(counts / electrons_per_pixel - 1.0, dtype=np.float32)


def phase_flip(images: np.ndarray, defoci: np.ndarray, params: SimulationParameters) -> np.ndarray:
    """CTF correction: give every band the sign of the CTF's first lobe (known defocus)."""
    if not (params.ctf and params.phase_flip):
        return images
    optics = microscope(params)

    def flip(frequency_sq: np.ndarray, defocus_nm: float) -> np.ndarray:
        return np.asarray(-np.sign(optics.ctf(frequency_sq, defocus_nm)))

    return _filter_by_strips(images, defoci, params, flip).astype(np.float32)
