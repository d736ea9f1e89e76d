"""The particle classes of the benchmark and their per-class facts, in one place.

Index ``i`` (1-based) of a class is its position in :data:`CLASSES` plus one; 0 means
background or "none". Names are lower case and match case-insensitively everywhere.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

# The 12 SHREC'19 classes, in the order of the paper and of the official script.
CLASSES: Final[tuple[str, ...]] = (
    "1bxn",
    "1qvr",
    "1s3x",
    "1u6g",
    "2cg9",
    "3cf3",
    "3d2f",
    "3gl1",
    "3h84",
    "3qm1",
    "4b4t",
    "4d8q",
)

# Table 3 of the SHREC'19 paper; group F1 is the mean of the member classes' F1 (Table 4).
SIZE_GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "tiny": ("1s3x", "3qm1", "3gl1"),
    "small": ("3d2f", "1u6g", "2cg9", "3h84"),
    "medium": ("1qvr", "1bxn", "3cf3"),
    "large": ("4b4t", "4d8q"),
}

# Side (voxels at 1 nm) of the axis-aligned cube each particle owns in the SHREC'19 hitbox.
SHREC19_BOX_SIDES: Final = MappingProxyType(
    {
        "1bxn": 13,
        "1qvr": 21,
        "1s3x": 8,
        "1u6g": 15,
        "2cg9": 14,
        "3cf3": 18,
        "3d2f": 17,
        "3gl1": 11,
        "3h84": 16,
        "3qm1": 10,
        "4b4t": 30,
        "4d8q": 19,
    }
)

# Classes of the published SHREC'20 / SHREC'21 datasets that SHREC'19 lacks. Their official
# scripts list 4CR2 (a 26S proteasome, in both years); SHREC'21 adds 4V94, 5MRC, vesicles and
# gold fiducials. They are appended after the 12 classes so that indices 1..12 never move.
SHREC20_EXTRA_CLASSES: Final[tuple[str, ...]] = ("4cr2",)
SHREC21_EXTRA_CLASSES: Final[tuple[str, ...]] = ("4cr2", "4v94", "5mrc", "vesicle", "fiducial")
SHREC21_EXCLUDED: Final[tuple[str, ...]] = ("4v94", "vesicle")

# Particle radius in voxels (1 nm) for distance matching (F-beta). For the 12 classes it is
# half the SHREC'19 box side (the particle's extent); the SHREC'20/'21 extras are estimates
# from their published sizes. Vesicles vary in size and have none (never distance-matched).
CLASS_RADII: Final = MappingProxyType(
    {
        **{name: side / 2 for name, side in SHREC19_BOX_SIDES.items()},
        "4cr2": 15.0,
        "4v94": 14.0,
        "5mrc": 16.0,
        "fiducial": 5.0,
    }
)


def class_index(name: str, classes: tuple[str, ...] = CLASSES) -> int:
    """Return the 1-based index of class ``name`` (case-insensitive) in ``classes``.

    Raises:
        KeyError: ``name`` is not one of ``classes``.
    """
    try:
        return classes.index(name.strip().lower()) + 1
    except ValueError:
        raise KeyError(name) from None
