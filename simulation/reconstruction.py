"""Weighted back-projection: a ramp (R-weighting) filter along x, then the operator's adjoint."""

from __future__ import annotations

import math

import numpy as np
import scipy.fft

from simulation.tilt_operator import TiltOperator

# tilts filtered per FFT call
RAMP_TILTS = 4


def ramp_kernel(width: int) -> np.ndarray:
    """The frequency response of the discrete Ram-Lak filter for rows padded to ``width``.

    Built from its spatial kernel (h[0] = 1/4, h[odd n] = -1/(π n)², else 0) rather than
    |k| sampled directly, so the zero frequency keeps its correct small weight and a flat
    background reconstructs without an offset.
    """
    offsets = np.concatenate([np.arange(0, width // 2 + 1), np.arange(-(width // 2) + 1, 0)])
    kernel = np.zeros(width)
    kernel[0] = 0.25
    odd = offsets % 2 == 1
    kernel[odd] = -1.0 / (math.pi * offsets[odd]) ** 2
    return np.real(scipy.fft.rfft(kernel))


def ramp_filter(series: np.ndarray) -> np.ndarray:
    """Filter each detector row ([tilt, y, x], along x) with the ramp, zero-padded."""
    width = series.shape[-1]
    padded = 1 << math.ceil(math.log2(2 * width))
    response = ramp_kernel(padded).astype(np.float32)
    filtered = np.empty(series.shape, dtype=np.float32)
    # a few tilts at a time: the padded spectra stay small (rows are filtered alone, so
    # the result is the same as in one call)
    for first in range(0, series.shape[0], RAMP_TILTS):
        block = series[first : first + RAMP_TILTS]
        spectrum = scipy.fft.rfft(block, n=padded, axis=-1, workers=-1)
        spectrum *= response
        rows = scipy.fft.irfft(spectrum, n=padded, axis=-1, workers=-1)
        filtered[first : first + RAMP_TILTS] = rows[..., :width]
    return filtered


def weighted_back_projection(series: np.ndarray, operator: TiltOperator) -> np.ndarray:
    """Reconstruct the full [z, y, x] volume from a [tilt, y, x] series.

    The sum over tilts is scaled by the angular step in radians, so a tilt range of 180°
    would return the projected object's values; a limited range loses the missing wedge.
    """
    filtered = ramp_filter(series)
    step = math.pi / len(operator.tilts)
    if len(operator.tilts) > 1:
        step = float(np.deg2rad(np.mean(np.diff(operator.tilts))))
    return operator.back_project(filtered, step)
