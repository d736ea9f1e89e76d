"""The specimen around the particles: an ice layer of varying thickness with vacuum outside,
and gold fiducials (distractors that are not part of the ground truth).

The ice fills the slab between two surfaces; each surface sinks into the slab by up to
``thickness_variation`` × slab, following a smooth random field (Gaussian-filtered white noise,
correlation length ``SURFACE_CORRELATION_NM``), so the local thickness varies between
(1 - 2·variation) and 1 times the slab. Beyond the surfaces is vacuum: no water, so the
reconstruction shows where the ice ends. Particles keep their places: where the ice is
thinner they stand at the interface, as particles at real air-water interfaces do.

Gold beads (10 nm, potential ``GOLD_VOLTS``) are placed at random in the slab where no
particle lies; they are distractors for pickers and never enter the ground truth.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from simulation.templates import FOOTPRINT_THRESHOLD_V

# lateral correlation length of the ice surfaces, nm
SURFACE_CORRELATION_NM = 60.0
# gold bead diameter (nm) and mean inner potential of gold (volts; about 25-30 V is
# measured by electron holography)
GOLD_DIAMETER_NM = 10.0
GOLD_VOLTS = 25.0
GOLD_ATTEMPTS = 200


def ice_surfaces(
    shape: tuple[int, int, int], variation: float, voxel_size: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Depth (slices, float32) of vacuum below the slab's first and above its last slice,
    per (y, x) column, for a slab of ``shape`` (z, y, x)."""
    depth, height, width = shape
    sigma = SURFACE_CORRELATION_NM / voxel_size
    surfaces = []
    for _ in range(2):
        field = ndimage.gaussian_filter(rng.standard_normal((height, width)), sigma, mode="wrap")
        low, high = field.min(), field.max()
        unit = (field - low) / (high - low) if high > low else np.zeros_like(field)
        surfaces.append((unit * variation * depth).astype(np.float32))
    return surfaces[0], surfaces[1]


def ice_mask(z: int, depth: int, surfaces: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Which voxels of slab plane ``z`` lie inside the ice."""
    first, last = surfaces
    return np.asarray((z + 0.5 >= first) & (depth - z - 0.5 >= last))


def _bead(voxel_size: float) -> np.ndarray:
    """A gold bead's potential on its own odd cube (edges anti-aliased over one voxel)."""
    radius = GOLD_DIAMETER_NM / 2 / voxel_size
    half = math.ceil(radius) + 1
    z, y, x = np.indices((2 * half + 1,) * 3) - half
    distance = np.sqrt(z**2 + y**2 + x**2)
    return np.asarray(np.clip(radius + 0.5 - distance, 0, 1) * GOLD_VOLTS, dtype=np.float32)


def add_fiducials(
    potential: np.ndarray,
    count: int,
    voxel_size: float,
    rng: np.random.Generator,
    reserved: np.ndarray | None = None,
) -> list[tuple[int, int, int]]:
    """Add up to ``count`` gold beads to a slab's protein potential, in place, each where
    no particle or bead lies (nor a ``reserved`` voxel: membranes); returns their centres
    (z, y, x in slab voxels)."""
    bead = _bead(voxel_size)
    half = bead.shape[0] // 2
    inside = bead > 0
    shape = np.array(potential.shape)
    if np.any(shape < bead.shape[0]):
        return []
    centres: list[tuple[int, int, int]] = []
    for _ in range(count):
        for _ in range(GOLD_ATTEMPTS):
            centre = rng.integers(half, shape - half)
            box = tuple(slice(int(c) - half, int(c) + half + 1) for c in centre)
            if (potential[box][inside] > FOOTPRINT_THRESHOLD_V).any():
                continue
            if reserved is not None and reserved[box][inside].any():
                continue
            potential[box] += bead
            centres.append((int(centre[0]), int(centre[1]), int(centre[2])))
            break
    return centres
