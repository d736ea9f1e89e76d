"""File names of a simulated dataset (the evaluator's names are reused, not repeated)."""

from __future__ import annotations

from typing import Final

from evaluation.layout import (
    CLASS_MASK,
    GRANDMODEL,
    OCCUPANCY_MASK,
    PARTICLE_LOCATIONS,
    RECONSTRUCTION,
)

PROJECTIONS: Final = "projections.mrc"
NOISEFREE_PROJECTIONS: Final = "noisefree_projections.mrc"
TILT_ANGLES: Final = "tilt_angles.txt"
METADATA: Final = "metadata.json"
DATASET: Final = "dataset.json"

__all__ = [
    "CLASS_MASK",
    "DATASET",
    "GRANDMODEL",
    "METADATA",
    "NOISEFREE_PROJECTIONS",
    "OCCUPANCY_MASK",
    "PARTICLE_LOCATIONS",
    "PROJECTIONS",
    "RECONSTRUCTION",
    "TILT_ANGLES",
]
