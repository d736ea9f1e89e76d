"""Vitreous water around the particles: its potential, structural noise and exclusion.

The mean potential of water follows from the same electron scattering factors as the
proteins: (f_O(0) + 2 f_H(0)) · 47.878 V·Å² times the molecules per Å³. Water fills each
voxel in proportion to the volume the proteins leave free there, estimated as
1 - V_protein / V_interior (clipped to [0, 1]), so a particle displaces its own volume of
water and cavities inside complexes stay wet.
"""

from __future__ import annotations

import gemmi
import numpy as np

from simulation.atomic import VOLTS_PER_DENSITY
from simulation.specimen import ice_mask

AVOGADRO = 6.02214076e23
WATER_MOLAR_MASS = 18.015  # g/mol
CUBIC_ANGSTROM_PER_CUBIC_CM = 1e24


def _zero_angle_factor(element: str) -> float:
    """The electron scattering factor f_e(0) of a neutral atom, in Å (sum of the a_i)."""
    return float(sum(gemmi.Element(element).c4322.a))


def water_potential(density_g_cm3: float) -> float:
    """Mean potential (volts) of water at the given mass density (g/cm³).

    Raises:
        ValueError: if the density is not positive.
    """
    if not density_g_cm3 > 0:
        raise ValueError(f"water density must be positive, got {density_g_cm3}")
    molecules_per_a3 = density_g_cm3 / WATER_MOLAR_MASS * AVOGADRO / CUBIC_ANGSTROM_PER_CUBIC_CM
    scattering = _zero_angle_factor("O") + 2 * _zero_angle_factor("H")
    return VOLTS_PER_DENSITY * scattering * molecules_per_a3


def add_water(
    potential: np.ndarray,
    water_volts: float,
    relative_noise: float,
    protein_interior_volts: float,
    rng: np.random.Generator,
    ice: tuple[np.ndarray, np.ndarray] | None = None,
) -> None:
    """Add noisy water to a slab's protein potential, in place, where proteins leave room.

    Each voxel gets water_volts · (1 + relative_noise · N(0, 1)) · free_fraction, with
    free_fraction = clip(1 - protein / protein_interior_volts, 0, 1). With ``ice`` (the
    vacuum depths of ``specimen.ice_surfaces``) voxels beyond the ice surfaces get none.

    Raises:
        ValueError: if protein_interior_volts is not positive.
    """
    if not protein_interior_volts > 0:
        raise ValueError("the protein interior potential must be positive")
    for z, plane in enumerate(potential):  # slice by slice keeps the temporaries small
        free = np.clip(1.0 - plane / protein_interior_volts, 0.0, 1.0)
        noise = rng.standard_normal(plane.shape, dtype=np.float32)
        if ice is not None:
            free *= ice_mask(z, len(potential), ice)
        plane += (water_volts * free * (1.0 + relative_noise * noise)).astype(np.float32)
