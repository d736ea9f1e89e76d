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
    # fields added with the presets; at these (legacy) values they are left out of
    # to_dict, so records written before they existed still rebuild byte for byte
    preset: str = "legacy"
    templates: str = "assembly"
    spacing: str = "footprint"
    dose_per_tilt: float | None = None
    tilt_order: str = "sequential"
    exposure_filter: bool = False
    detector: str = "ideal"
    thickness_variation: float = 0.0
    fiducials: int = 0
    # lipid vesicles (membranes), distractors outside the ground truth
    vesicles: int = 0
    # the last test_tomograms tomograms are the hidden test (1: the last one, as before)
    test_tomograms: int = 1

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> SimulationParameters:
        """The parameters of a named preset (see ``PRESETS``), with some fields overridden.

        Raises:
            ValueError: for an unknown preset or invalid values.
        """
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; expected one of {', '.join(PRESETS)}")
        return cls(**{**PRESETS[name], "preset": PRESET_ALIASES.get(name, name), **overrides})

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
        self._check_choices()
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
        self._check_test_tomograms()

    def _check_test_tomograms(self) -> None:
        """Raise ValueError unless at least one tomogram is left for training; a dataset of
        one tomogram keeps it as its test, as before the field existed."""
        if self.test_tomograms < 1:
            raise ValueError(f"test_tomograms must be at least 1, got {self.test_tomograms}")
        if self.test_tomograms > 1 and self.test_tomograms >= self.tomograms:
            raise ValueError(
                f"test_tomograms ({self.test_tomograms}) must be below tomograms "
                f"({self.tomograms}): at least one tomogram is needed for training"
            )

    def _check_choices(self) -> None:
        """Raise ValueError for a named choice outside its options."""
        for name, options in CHOICES.items():
            if getattr(self, name) not in options:
                raise ValueError(
                    f"{name} must be one of {', '.join(options)}, got {getattr(self, name)!r}"
                )
        if self.dose_per_tilt is not None and not (
            math.isfinite(self.dose_per_tilt) and self.dose_per_tilt > 0
        ):
            raise ValueError(
                f"dose_per_tilt must be a positive number of e/Å², got {self.dose_per_tilt!r}"
            )
        if not (math.isfinite(self.thickness_variation) and 0 <= self.thickness_variation < 0.5):
            raise ValueError(
                f"thickness_variation must be in [0, 0.5), got {self.thickness_variation!r}"
            )
        if self.fiducials < 0:
            raise ValueError(f"fiducials must be a non-negative count, got {self.fiducials}")
        if self.vesicles < 0:
            raise ValueError(f"vesicles must be a non-negative count, got {self.vesicles}")

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

    @property
    def total_dose(self) -> float | None:
        """Electrons per Å² over the whole series, or None for SNR-defined Gaussian noise."""
        if self.dose_per_tilt is not None:
            return self.dose_per_tilt * self.tilt_angles().size
        return self.dose

    def acquisition_order(self) -> np.ndarray:
        """Index (into ``tilt_angles()``) of the tilt recorded first, second, ...

        Sequential: from tilt_min up. Dose-symmetric (Hagen et al. 2017): 0° (the tilt
        nearest it) first, then alternating sides in groups of two, outwards.
        """
        angles = self.tilt_angles()
        if self.tilt_order == "sequential":
            return np.arange(angles.size)
        start = int(np.argmin(np.abs(angles)))
        order = [start]
        up, down = list(range(start + 1, angles.size)), list(range(start - 1, -1, -1))
        side = 0
        while up or down:
            group = up if (side == 0 and up) or not down else down
            order.extend(group[:2])
            del group[:2]
            side = 1 - side
        return np.array(order)

    def prior_dose(self) -> np.ndarray:
        """Electrons per Å² each tilt (in ``tilt_angles()`` order) received before its own
        exposure, from the acquisition order (zero for SNR-defined noise)."""
        angles = self.tilt_angles()
        total = self.total_dose
        per_tilt = 0.0 if total is None else total / angles.size
        before = np.empty(angles.size)
        before[self.acquisition_order()] = np.arange(angles.size) * per_tilt
        return before

    @property
    def first_test_index(self) -> int:
        """The index of the first hidden test tomogram; every later one is a test too."""
        return max(self.tomograms - self.test_tomograms, 0)

    def is_test(self, index: int) -> bool:
        """Whether tomogram ``index`` belongs to the hidden test."""
        return index >= self.first_test_index

    def tilt_angles(self) -> np.ndarray:
        """The tilt angles in degrees, from tilt_min to tilt_max (inclusive) by tilt_step."""
        count = math.floor((self.tilt_max - self.tilt_min) / self.tilt_step + 1e-9) + 1
        return np.round(self.tilt_min + self.tilt_step * np.arange(count), 6)

    def to_dict(self) -> dict[str, Any]:
        """All fields as JSON-ready values (shape resolved to the volume shape)."""
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        values["shape"] = list(self.volume_shape)  # JSON has no tuples
        for name, legacy in LEGACY_VALUES.items():
            if values[name] == legacy:
                del values[name]
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


# the fields that came with the presets, at their legacy values (omitted from to_dict)
LEGACY_VALUES: dict[str, Any] = {
    "preset": "legacy",
    "templates": "assembly",
    "spacing": "footprint",
    "dose_per_tilt": None,
    "tilt_order": "sequential",
    "exposure_filter": False,
    "detector": "ideal",
    "thickness_variation": 0.0,
    "fiducials": 0,
    "vesicles": 0,
    "test_tomograms": 1,
}

CHOICES: dict[str, tuple[str, ...]] = {
    "preset": ("legacy", "shrec19", "realistic", "custom"),
    # assembly: first biological assembly of every entry; shrec19: 3d2f and 3gl1 from their
    # whole asymmetric unit, as SHREC'19's maps (docs/simulation.md, Templates)
    "templates": ("assembly", "shrec19"),
    # footprint: footprints never share a voxel; shrec19_boxes: nor do the SHREC'19 boxes
    "spacing": ("footprint", "shrec19_boxes"),
    "tilt_order": ("sequential", "dose_symmetric"),
    # ideal: every frequency recorded alike; counting: a counting direct detector's MTF and DQE
    "detector": ("ideal", "counting"),
}

# each preset's values; fields not named keep the class defaults (today's behaviour)
PRESETS: dict[str, dict[str, Any]] = {
    "legacy": {},
    "default": {},
    "shrec19": {
        "templates": "shrec19",
        "spacing": "shrec19_boxes",
        "defocus_gradient": False,
        # calibrated: the dog baseline then scores like DoG-CB3D (docs/simulation.md)
        "snr": 0.15,
    },
    "realistic": {
        "tilt_step": 3.0,
        "dose_per_tilt": 3.0,
        "tilt_order": "dose_symmetric",
        "exposure_filter": True,
        "detector": "counting",
        "thickness_variation": 0.1,
        "defocus_um": 5.0,
        "defocus_variation": 0.2,
        "particles": 8000,
        "fiducials": 20,
        "vesicles": 8,
    },
}
PRESET_ALIASES = {"default": "legacy"}
