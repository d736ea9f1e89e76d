"""Dose effects of a real acquisition: cumulative beam damage (and the exposure filter that
compensates it in processing) and a counting detector's MTF and DQE.

Beam damage fades high frequencies first: after N e⁻/Å² the amplitude at spatial frequency k
is exp(-N / (2 Nₑ(k))), with the critical exposure Nₑ(k) = 0.245 · k^-1.665 + 2.81 e⁻/Å²
(k in Å⁻¹; Grant & Grigorieff 2015, at 300 kV). A tilt recorded from N₀ to N₀ + d carries the
mean of that over its own exposure. Processing applies the same factor to each tilt before
reconstruction (the exposure filter), which weights late, damaged tilts down.

A counting detector records each electron in one pixel: its MTF is the pixel aperture,
sinc(kx·p)·sinc(ky·p), and its DQE at zero frequency is below one (``COUNTING_DQE``).
"""

from __future__ import annotations

import numpy as np

from simulation.parameters import SimulationParameters

# Grant & Grigorieff (2015), eLife 4:e06980, fit of the critical exposure at 300 kV
CRITICAL_A, CRITICAL_B, CRITICAL_C = 0.245, -1.665, 2.81
# zero-frequency DQE of a counting direct detector (K3 / Falcon 4 class, specification sheets)
COUNTING_DQE = 0.8


def critical_exposure(frequency_per_nm: np.ndarray) -> np.ndarray:
    """Nₑ(k) in e⁻/Å² at spatial frequencies in nm⁻¹ (infinite at k = 0)."""
    per_angstrom = np.asarray(frequency_per_nm, dtype=np.float64) / 10.0
    with np.errstate(divide="ignore"):
        return np.asarray(CRITICAL_A * per_angstrom**CRITICAL_B + CRITICAL_C)


def damage_attenuation(frequency_sq: np.ndarray, dose_before: float, own_dose: float) -> np.ndarray:
    """Mean amplitude factor over an exposure from dose_before to dose_before + own_dose."""
    scale = 2 * critical_exposure(np.sqrt(frequency_sq))  # infinite at k = 0
    fading = np.exp(-dose_before / scale)
    if own_dose <= 0:
        return np.asarray(fading)
    # mean of exp(-N/scale) over the own exposure: (1 - exp(-x)) / x with x = own / scale
    ratio = own_dose / scale
    safe = np.where(ratio > 0, ratio, 1.0)
    return np.asarray(fading * np.where(ratio > 0, -np.expm1(-safe) / safe, 1.0))


def detector_mtf(shape: tuple[int, int]) -> np.ndarray:
    """The counting detector's MTF on the rfft2 grid of an image (pixel aperture)."""
    rows = np.fft.fftfreq(shape[0])
    columns = np.fft.rfftfreq(shape[1])
    return np.asarray(np.sinc(rows)[:, None] * np.sinc(columns)[None, :])


def envelopes(
    shape: tuple[int, int], frequency_sq: np.ndarray, params: SimulationParameters
) -> tuple[list[np.ndarray] | None, list[np.ndarray] | None]:
    """Per tilt: the signal's envelope (damage × MTF) and the exposure filter, or None.

    Only a dose-based acquisition has damage; the detector's MTF applies to every tilt.
    """
    count = params.tilt_angles().size
    total = params.total_dose
    signal: list[np.ndarray] | None = None
    correction: list[np.ndarray] | None = None
    if params.exposure_filter and total is not None:
        own = total / count
        damage = [
            damage_attenuation(frequency_sq, float(before), own).astype(np.float32)
            for before in params.prior_dose()
        ]
        signal, correction = list(damage), damage
    if params.detector == "counting":
        mtf = detector_mtf(shape).astype(np.float32)
        signal = [mtf * env for env in signal] if signal is not None else [mtf] * count
    return signal, correction


def detected_electrons(params: SimulationParameters, tilts: int) -> float:
    """Electrons per pixel and tilt that count towards the signal-to-noise ratio (the dose
    times the detector's DQE at zero frequency).

    Raises:
        ValueError: if the parameters define no dose.
    """
    total = params.total_dose
    if total is None:
        raise ValueError("no dose given")
    efficiency = COUNTING_DQE if params.detector == "counting" else 1.0
    return total / tilts * (params.voxel_size * 10.0) ** 2 * efficiency
