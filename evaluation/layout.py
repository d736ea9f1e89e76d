"""File names of the dataset layouts the evaluator reads (one place for each name)."""

from __future__ import annotations

from typing import Final

# Native layout (one tomogram per folder), written by the simulator.
RECONSTRUCTION: Final = "reconstruction.mrc"
GRANDMODEL: Final = "grandmodel.mrc"
OCCUPANCY_MASK: Final = "occupancy_mask.mrc"  # the hitbox: voxel k > 0 = particle on line k
CLASS_MASK: Final = "class_mask.mrc"
PARTICLE_LOCATIONS: Final = "particle_locations.txt"

# SHREC'19 layout: N is the model number (9 is the test tomogram).
SHREC19_PARTICLE_LOCATIONS: Final = "particle_locations_model_{number}.txt"
SHREC19_HITBOX: Final = "hitbox_{number}.mrc"
SHREC19_PARTICLE_LOCATIONS_GLOB: Final = "particle_locations_model_*.txt"
