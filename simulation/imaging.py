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
from simulation.dose import detected_electrons
from simulation.parameters import SimulationParameters

Transfer = Callable[[np.ndarray], np.ndarray]


def microscope(params: SimulationParameters) -> Microscope:
    """The optics described by the parameters."""
    return Microscope(params.voltage_kv, params.cs_mm, params.amplitude_contrast)


def tilt_defoci(params: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Defocus (nm, underfocus positive) of each tilt: nominal plus Gaussian variation."""
    count = params.tilt_angles().size
    variation = rng.standard_normal(count) * params.defocus_variation
    return (params.defocus_um + variation) * 1e3


# per tilt: (first column, last column + 1, transfer on the rfft2 grid) of each strip
StripResponses = list[list[tuple[int, int, np.ndarray]]]
# per tilt: a filter on the rfft2 grid applied besides the CTF, or None
Envelopes = list[np.ndarray] | None


def ctf_responses(
    shape: tuple[int, int], defoci: np.ndarray, params: SimulationParameters
) -> StripResponses:
    """The CTF (float32, rfft2 grid) of every defocus strip of every tilt.

    Computed once and shared by imaging and phase flipping, which see the same strips.
    """
    pixel = params.voxel_size
    wavelength = electron_wavelength_nm(params.voltage_kv)
    frequency_sq = frequency_grid_sq(shape, pixel)
    optics = microscope(params)
    responses: StripResponses = []
    for tilt, defocus in zip(params.tilt_angles(), defoci, strict=True):
        if params.defocus_gradient:
            strips = strip_defoci(float(defocus), float(tilt), shape[1], pixel, wavelength)
        else:
            strips = [(0, shape[1], float(defocus))]
        responses.append(
            [
                (start, stop, optics.ctf(frequency_sq, local).astype(np.float32))
                for start, stop, local in strips
            ]
        )
    return responses


def _filter_by_strips(
    images: np.ndarray,
    responses: StripResponses,
    transfer: Transfer,
    envelopes: Envelopes = None,
) -> np.ndarray:
    """Multiply each image's spectrum by transfer(CTF) of each strip, strip by strip, and by
    the tilt's envelope if given."""
    filtered = np.empty_like(images)
    for index, (image, strips) in enumerate(zip(images, responses, strict=True)):
        spectrum = scipy.fft.rfft2(image, workers=-1)  # float32 in, complex64 out
        if envelopes is not None:
            spectrum *= envelopes[index]
        for start, stop, ctf in strips:
            response = transfer(ctf)
            result = scipy.fft.irfft2(spectrum * response, s=image.shape, workers=-1)
            filtered[index, :, start:stop] = result[:, start:stop]
    return filtered


def contrast_images(
    projected_potential: np.ndarray,
    defoci: np.ndarray,
    params: SimulationParameters,
    responses: StripResponses | None = None,
    envelopes: Envelopes = None,
) -> np.ndarray:
    """Noise-free image contrast (I/I₀ - 1) of each tilt from line integrals (V·voxel).

    The phase is σ_e times the projected potential; its mean per image (a uniform phase
    shift, invisible) is removed before the CTF. Without CTF the transfer is -1 everywhere.
    ``responses`` (from ``ctf_responses``) saves recomputing the CTF; ``envelopes`` (beam
    damage, detector MTF) multiply each tilt's spectrum besides the CTF.
    """
    sigma = interaction_constant(params.voltage_kv) * params.voxel_size
    phase = projected_potential * np.float32(sigma)
    phase -= phase.mean(axis=(1, 2), keepdims=True)
    if not params.ctf:
        if envelopes is not None:
            flat = [[(0, phase.shape[2], np.ones(1, np.float32))] for _ in range(len(phase))]
            phase = _filter_by_strips(phase, flat, lambda ctf: ctf, envelopes)
        return (-2.0 * phase).astype(np.float32)
    if responses is None:
        responses = ctf_responses(phase.shape[1:], defoci, params)
    filtered = _filter_by_strips(phase, responses, lambda ctf: ctf, envelopes)
    return (2.0 * filtered).astype(np.float32)


def add_noise(
    images: np.ndarray, params: SimulationParameters, rng: np.random.Generator
) -> np.ndarray:
    """Noisy copies of the images: Poisson counts from ``dose``, else Gaussian at ``snr``.

    Gaussian: per image, noise variance = var(image) / snr. Dose: each tilt gets
    dose / tilts electrons per Å²; counts ~ Poisson(N₀ · max(1 + contrast, 0)) and the
    result is counts / N₀ - 1.
    """
    if params.total_dose is None:
        spread = np.sqrt(images.var(axis=(1, 2), keepdims=True) / params.snr)
        noise = rng.standard_normal(images.shape, dtype=np.float32)
        return np.asarray(images + noise * spread.astype(np.float32), dtype=np.float32)
    electrons_per_pixel = detected_electrons(params, images.shape[0])
    expected = electrons_per_pixel * np.clip(1.0 + images, 0.0, None)
    counts = rng.poisson(expected)
    return np.asarray(counts / electrons_per_pixel - 1.0, dtype=np.float32)


def phase_flip(
    images: np.ndarray,
    defoci: np.ndarray,
    params: SimulationParameters,
    responses: StripResponses | None = None,
    exposure_filter: Envelopes = None,
) -> np.ndarray:
    """CTF correction: give every band the sign of the CTF's first lobe (known defocus),
    and weight each tilt by its exposure filter if given."""
    if not (params.ctf and params.phase_flip):
        return images
    if responses is None:
        responses = ctf_responses(images.shape[1:], defoci, params)
    flipped = _filter_by_strips(images, responses, lambda ctf: -np.sign(ctf), exposure_filter)
    return flipped.astype(np.float32)
