"""The contrast transfer function, its application per tilt, and phase-flip correction.

Weak-phase imaging: image contrast = 2 · F⁻¹[CTF · F[phase]], with
CTF(k) = -(√(1 - A²) · sin χ(k) + A · cos χ(k)) and χ(k) = π λ Δf k² - π/2 · Cs λ³ k⁴
(Δf > 0 is underfocus). The first lobe is negative: proteins look dark, as in real data.
Phase flipping multiplies each band by the sign that makes it agree with the first lobe.

With a defocus gradient, the local defocus across a tilted specimen is
Δf(u) = Δf_tilt - u · tan θ (u: detector coordinate from the tilt axis). The specimen is
rotated by θ about +y and the beam runs along -z (source above, at +z), so for θ > 0 the
side at u > 0 sinks away from the source, towards the plane in focus below the sample. Each
image is treated in strips narrow enough that defocus varies by less than a set tolerance
inside one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

PLANCK = 6.62607015e-34  # J·s
ELECTRON_MASS = 9.1093837015e-31  # kg
ELEMENTARY_CHARGE = 1.602176634e-19  # C
LIGHT_SPEED = 299792458.0  # m/s
# largest phase error of χ at Nyquist tolerated inside one defocus strip
STRIP_PHASE_TOLERANCE = math.pi / 16


def electron_wavelength_nm(voltage_kv: float) -> float:
    """Relativistic electron wavelength in nm (300 kV: 0.001969 nm)."""
    volts = voltage_kv * 1e3
    energy = ELEMENTARY_CHARGE * volts
    momentum_sq = 2 * ELECTRON_MASS * energy * (1 + energy / (2 * ELECTRON_MASS * LIGHT_SPEED**2))
    return PLANCK / math.sqrt(momentum_sq) * 1e9


def interaction_constant(voltage_kv: float) -> float:
    """σ_e in rad / (V·nm): phase shift per unit projected potential (300 kV: 0.006526)."""
    volts = voltage_kv * 1e3
    rest_energy = ELECTRON_MASS * LIGHT_SPEED**2 / ELEMENTARY_CHARGE  # in eV
    wavelength_m = electron_wavelength_nm(voltage_kv) * 1e-9
    per_metre = (
        2 * math.pi / (wavelength_m * volts) * (rest_energy + volts) / (2 * rest_energy + volts)
    )
    return per_metre * 1e-9


@dataclass(frozen=True)
class Microscope:
    """The optics: acceleration voltage (kV), spherical aberration (mm), amplitude contrast."""

    voltage_kv: float = 300.0
    cs_mm: float = 2.7
    amplitude_contrast: float = 0.07

    def chi(self, frequency_sq: np.ndarray, defocus_nm: float) -> np.ndarray:
        """The phase aberration χ at squared spatial frequencies k² (nm⁻²)."""
        wavelength = electron_wavelength_nm(self.voltage_kv)
        cs_nm = self.cs_mm * 1e6
        return np.asarray(
            np.pi * wavelength * defocus_nm * frequency_sq
            - 0.5 * np.pi * cs_nm * wavelength**3 * frequency_sq**2
        )

    def ctf(self, frequency_sq: np.ndarray, defocus_nm: float) -> np.ndarray:
        """The CTF at squared frequencies k² (nm⁻²); -A at k = 0."""
        chi = self.chi(frequency_sq, defocus_nm)
        amplitude = self.amplitude_contrast
        return np.asarray(-(math.sqrt(1 - amplitude**2) * np.sin(chi) + amplitude * np.cos(chi)))

    def zeros(self, defocus_nm: float, count: int) -> np.ndarray:
        """The first ``count`` frequencies (nm⁻¹) where the CTF vanishes, analytically.

        Zeros satisfy χ(k) = nπ - arcsin(A) for n = 1, 2, ...; with x = k² that is the
        quadratic (π/2)·Cs·λ³·x² - π·λ·Δf·x + (nπ - arcsin A) = 0, smaller root.
        """
        wavelength = electron_wavelength_nm(self.voltage_kv)
        a = 0.5 * math.pi * self.cs_mm * 1e6 * wavelength**3
        b = math.pi * wavelength * defocus_nm
        targets = np.arange(1, count + 1) * math.pi - math.asin(self.amplitude_contrast)
        if a == 0:
            return np.asarray(np.sqrt(targets / b))
        return np.asarray(np.sqrt((b - np.sqrt(b * b - 4 * a * targets)) / (2 * a)))


def frequency_grid_sq(shape: tuple[int, int], pixel_nm: float) -> np.ndarray:
    """k² (nm⁻²) on the rfft2 grid of an image of the given (rows, columns)."""
    rows = np.fft.fftfreq(shape[0], d=pixel_nm)
    columns = np.fft.rfftfreq(shape[1], d=pixel_nm)
    return rows[:, None] ** 2 + columns[None, :] ** 2


def strip_defoci(
    defocus_nm: float, tilt_degrees: float, width: int, pixel_nm: float, wavelength_nm: float
) -> list[tuple[int, int, float]]:
    """Split detector columns into strips (start, stop, defocus nm) for a defocus gradient.

    The strip width keeps the error of χ at Nyquist below STRIP_PHASE_TOLERANCE.
    """
    slope = math.tan(math.radians(tilt_degrees)) * pixel_nm  # defocus change per column
    nyquist_sq = (0.5 / pixel_nm) ** 2
    tolerance = 2 * STRIP_PHASE_TOLERANCE / (math.pi * wavelength_nm * nyquist_sq)
    count = max(1, math.ceil(abs(slope) * width / tolerance))
    edges = np.linspace(0, width, count + 1).round().astype(int)
    strips = []
    for start, stop in itertools.pairwise(edges):
        centre_column = (start + stop - 1) / 2 - (width - 1) / 2
        strips.append((int(start), int(stop), defocus_nm - centre_column * slope))
    return strips
