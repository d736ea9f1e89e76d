"""Lipid vesicles: membranes as distractors that never enter the ground truth.

A vesicle is a closed lipid bilayer on an ellipsoid (semi-axes within ±``ECCENTRICITY`` of
its mean radius, randomly oriented). Across the membrane the potential follows a bilayer's
electron-density profile relative to water: two dense headgroup layers (phosphate-rich,
about a third denser than water) ``LEAFLET_SPACING_NM`` apart, and the hydrocarbon core
between them, less dense than water (Wiener & White 1992; the 4 nm headgroup spacing is
what membranes show in cryo-EM). Each layer is a Gaussian whose width includes the voxel's
own (σ² + voxel²/12), so the sampled profile integrates over each voxel.

Vesicles are placed before the particles, apart from each other (no vesicle inside
another); their shells (within ``SHELL_NM`` of the mid-plane) are reserved, so no particle
footprint and no gold bead touches a membrane, while particles may sit in a vesicle's
lumen. The membrane contrast is added once the water is in, inside the ice only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from simulation.specimen import ice_mask

# the bilayer across its mid-plane, relative to water: headgroup peaks and core trough
LEAFLET_SPACING_NM = 4.0
HEADGROUP_VOLTS = 1.5  # about +33 % of water's 4.575 V, as the headgroups' electron density
HEADGROUP_SIGMA_NM = 0.5
CORE_VOLTS = -0.6  # the methyl trough, about -13 % of water
CORE_SIGMA_NM = 0.8
# the profile is cut beyond this distance from the mid-plane (the shell particles avoid)
SHELL_NM = 4.0
# mean radii (nm): small to large transport vesicles
RADIUS_NM = (15.0, 40.0)
ECCENTRICITY = 0.15
ATTEMPTS = 200


@dataclass(frozen=True)
class Vesicle:
    """A placed vesicle: centre (z, y, x slab voxels), semi-axes (nm) and its rotation (a
    matrix taking volume offsets, z y x, into the ellipsoid's own axes)."""

    centre: tuple[int, int, int]
    semi_axes_nm: tuple[float, float, float]
    rotation: tuple[tuple[float, ...], ...]

    def record(self, z_start: int) -> dict[str, object]:
        """Its metadata.json entry: centre x y z in volume voxels, semi-axes in nm."""
        z, y, x = self.centre
        return {
            "centre_xyz": [x, y, z + z_start],
            "semi_axes_nm": [round(a, 3) for a in self.semi_axes_nm],
            "rotation_zyx": [[round(v, 6) for v in row] for row in self.rotation],
        }


def bilayer_profile(distance_nm: np.ndarray, voxel_size: float) -> np.ndarray:
    """The membrane's potential relative to water (volts) at signed distances (nm) from its
    mid-plane, averaged over a voxel; zero beyond ``SHELL_NM``."""
    blur = voxel_size**2 / 12
    head = math.sqrt(HEADGROUP_SIGMA_NM**2 + blur)
    core = math.sqrt(CORE_SIGMA_NM**2 + blur)
    half = LEAFLET_SPACING_NM / 2
    profile = HEADGROUP_VOLTS * (
        np.exp(-0.5 * ((distance_nm - half) / head) ** 2)
        + np.exp(-0.5 * ((distance_nm + half) / head) ** 2)
    ) + CORE_VOLTS * np.exp(-0.5 * (distance_nm / core) ** 2)
    return np.where(np.abs(distance_nm) <= SHELL_NM, profile, 0.0)


def signed_distance_nm(
    vesicle: Vesicle, offsets: tuple[np.ndarray, np.ndarray, np.ndarray], voxel_size: float
) -> np.ndarray:
    """Signed distance (nm, outside positive) from voxels at ``offsets`` (z, y, x voxels from
    the centre) to the vesicle's ellipsoid, to first order: (ρ - 1) / |∇ρ| with ρ the
    normalized radius (exact for a sphere, within a few % across the shell otherwise)."""
    rotation = np.array(vesicle.rotation)
    local = [
        sum(rotation[i, j] * offsets[j] * voxel_size for j in range(3)) / vesicle.semi_axes_nm[i]
        for i in range(3)
    ]
    rho = np.sqrt(local[0] ** 2 + local[1] ** 2 + local[2] ** 2)
    safe = np.maximum(rho, 1e-6)
    gradient = np.sqrt(sum((local[i] / vesicle.semi_axes_nm[i]) ** 2 for i in range(3)) / safe**2)
    return np.asarray((rho - 1.0) / np.maximum(gradient, 1e-9))


class Membranes:
    """Vesicles placed in a slab, their reserved shells, and how to add their contrast."""

    def __init__(self, shape: tuple[int, int, int], voxel_size: float) -> None:
        self.shape = np.array(shape)
        self.voxel_size = voxel_size
        self.vesicles: list[Vesicle] = []
        # voxels of every shell: particles and beads keep out
        self.reserved = np.zeros(shape, dtype=bool)
        self._taken = np.zeros(shape, dtype=bool)  # shells and lumens: vesicles keep apart

    def _region(self, vesicle: Vesicle) -> tuple[tuple[slice, ...], np.ndarray]:
        """The vesicle's bounding box in the slab and its voxels' signed distances (nm)."""
        reach = math.ceil((max(vesicle.semi_axes_nm) + SHELL_NM) / self.voxel_size) + 1
        centre = np.array(vesicle.centre)
        box = tuple(slice(int(c) - reach, int(c) + reach + 1) for c in centre)
        grid = np.ogrid[tuple(slice(-reach, reach + 1) for _ in range(3))]
        offsets = (grid[0], grid[1], grid[2])
        return box, signed_distance_nm(vesicle, offsets, self.voxel_size)

    def place(self, count: int, rng: np.random.Generator) -> None:
        """Place up to ``count`` vesicles where no other vesicle is, wholly inside the slab."""
        low_radius, high_radius = RADIUS_NM
        for _ in range(count):
            for _ in range(ATTEMPTS):
                radius = rng.uniform(low_radius, high_radius)
                axes = radius * (1 + rng.uniform(-ECCENTRICITY, ECCENTRICITY, size=3))
                reach = math.ceil((axes.max() + SHELL_NM) / self.voxel_size) + 1
                if np.any(self.shape < 2 * reach + 1):
                    continue
                centre = rng.integers(reach, self.shape - reach)
                rotation = Rotation.random(rng=rng).as_matrix()
                vesicle = Vesicle(
                    (int(centre[0]), int(centre[1]), int(centre[2])),
                    (float(axes[0]), float(axes[1]), float(axes[2])),
                    tuple(tuple(float(v) for v in row) for row in rotation),
                )
                box, distance = self._region(vesicle)
                if self._taken[box][distance <= SHELL_NM].any():
                    continue
                self._taken[box] |= distance <= SHELL_NM
                self.reserved[box] |= np.abs(distance) <= SHELL_NM
                self.vesicles.append(vesicle)
                break

    def add_contrast(
        self, potential: np.ndarray, ice: tuple[np.ndarray, np.ndarray] | None = None
    ) -> None:
        """Add every membrane's profile (relative to water) to the slab's potential, in place;
        with ``ice`` (the vacuum depths of ``specimen.ice_surfaces``) only inside the ice."""
        for vesicle in self.vesicles:
            box, distance = self._region(vesicle)
            contrast = bilayer_profile(distance, self.voxel_size).astype(np.float32)
            if ice is not None:
                for plane, z in enumerate(range(box[0].start, box[0].stop)):
                    inside = ice_mask(z, len(potential), ice)[box[1], box[2]]
                    contrast[plane] *= inside
            potential[box] += contrast
