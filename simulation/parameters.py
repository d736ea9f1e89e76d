"""The frozen, validated settings of one simulation run."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

# mrcfile has no 32-bit integer mode: occupancy labels are stored as uint16
MAX_PARTICLES = 65535


@dataclass(frozen=True)
class SimulationParameters:
    """Every setting of the simulator, checked on construction.

    Sizes are in voxels, lengths in nm unless named otherwise. ``shape`` is (z, y, x) and
    overrides ``size`` (the edge of a cube); the sample is a slab of ``slab`` slices centred
    in z. Give either ``snr`` (Gaussian noise, var(signal)/var(noise) per projection) or
    ``dose`` (electrons per Å² over the whole tilt series, Poisson noise); ``dose`` wins.

    Raises:
        ValueError: on any invalid value or impossible combination, naming the field.
    """

    size: int = 512
    shape: tuple[int, int, int] | None = None
    voxel_size: float = 1.0
    slab: int = 200
    particles: int = 2500
    tomograms: int = 10
    seed: int = 0
    placement_attempts: int = 200
    water_density: float = 0.94
    water_noise: float = 0.05
    snr: float = 0.02
    dose: float | None = None
    tilt_min: float = -60.0
    tilt_max: float = 60.0
    tilt_step: float = 2.0
    voltage_kv: float = 300.0
    cs_mm: float = 2.7
    amplitude_contrast: float = 0.07
    defocus_um: float = 3.0
    defocus_variation: float = 0.0
    defocus_gradient: bool = True
    ctf: bool = True
    phase_flip: bool = True
    write_noisefree: bool = False

    def __post_init__(self) -> None:
        shape = self.shape if self.shape is not None else (self.size,) * 3
        if len(shape) != 3:
            raise ValueError(f"shape must have 3 entries (z, y, x), got {self.shape!r}")
        for axis, edge in zip("zyx", shape, strict=True):
            if int(edge) < 16:
                raise ValueError(f"the volume must be at least 16 voxels along {axis}, got {edge}")
        # the resolved shape is stored, so equal volumes compare equal however they were given
        object.__setattr__(self, "shape", tuple(int(n) for n in shape))
        self._check_ranges()
        if self.slab > shape[0]:
            raise ValueError(
                f"slab ({self.slab} slices) is larger than the volume ({shape[0]} slices in z)"
            )
        if self.tilt_max < self.tilt_min:
            raise ValueError(
                f"tilt_max ({self.tilt_max}) must not be below tilt_min ({self.tilt_min})"
            )
        if self.tilt_angles().size < 2:
            raise ValueError("the tilt range and step give fewer than 2 tilt images")

    def _check_ranges(self) -> None:
        """Raise ValueError for any field outside its physical range."""
        positive = {
            "voxel_size": self.voxel_size,
            "tilt_step": self.tilt_step,
            "voltage_kv": self.voltage_kv,
            "snr": self.snr,
            "water_density": self.water_density,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        counts = {
            "slab": self.slab,
            "tomograms": self.tomograms,
            "placement_attempts": self.placement_attempts,
        }
        for name, count in counts.items():
            if count < 1:
                raise ValueError(f"{name} must be at least 1, got {count}")
        if not 0 <= self.particles <= MAX_PARTICLES:
            raise ValueError(
                f"particles must be between 0 and {MAX_PARTICLES}, got {self.particles}"
            )
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        if self.dose is not None and not (math.isfinite(self.dose) and self.dose > 0):
            raise ValueError(f"dose must be a positive number of e/Å², got {self.dose!r}")
        if not 0 <= self.amplitude_contrast < 1:
            raise ValueError(
                f"amplitude_contrast must be in [0, 1), got {self.amplitude_contrast!r}"
            )
        non_negative = {
            "cs_mm": self.cs_mm,
            "defocus_um": self.defocus_um,
            "defocus_variation": self.defocus_variation,
            "water_noise": self.water_noise,
        }
        for name, value in non_negative.items():
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a non-negative number, got {value!r}")
        for name in ("tilt_min", "tilt_max"):
            if not -90 < getattr(self, name) < 90:
                raise ValueError(f"{name} must lie strictly between -90 and 90 degrees")

    @property
    def volume_shape(self) -> tuple[int, int, int]:
        """The (z, y, x) shape of every written volume."""
        assert self.shape is not None  # resolved in __post_init__
        return self.shape

    @property
    def slab_range(self) -> tuple[int, int]:
        """First and one-past-last z slice of the sample slab, centred in the volume."""
        start = (self.volume_shape[0] - self.slab) // 2
        return start, start + self.slab

    def tilt_angles(self) -> np.ndarray:
        """The tilt angles in degrees, from tilt_min to tilt_max (inclusive) by tilt_step."""
        count = math.floor((self.tilt_max - self.tilt_min) / self.tilt_step + 1e-9) + 1
        return np.round(self.tilt_min + self.tilt_step * np.arange(count), 6)

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values (shape resolved to the volume shape)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        values["shape"] = list(self.volume_shape)  # JSON has no tuples
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SimulationParameters:
        """Rebuild parameters from ``to_dict`` output.

        Raises:
            ValueError: for unknown keys or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown simulation parameters: {', '.join(unknown)}")
        given = dict(values)
        if given.get("shape") is not None:
            given["shape"] = tuple(given["shape"])
        return cls(**given)
