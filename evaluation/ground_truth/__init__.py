"""Ground truths: load once (checksummed, hitbox in memory or memory-mapped), score many."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.ground_truth.model import GroundTruth, Particles
from evaluation.ground_truth.native import load_native
from evaluation.ground_truth.options import (
    NativeOptions,
    Shrec19Options,
    Shrec20Options,
    Shrec21Options,
    make_options,
)
from evaluation.ground_truth.shrec import load_shrec19, load_shrec20, load_shrec21
from evaluation.profiles import get_profile

__all__ = ["GroundTruth", "Particles", "load_ground_truth"]


def load_ground_truth(
    path: str | os.PathLike[str], profile: str = "native", **profile_options: Any
) -> GroundTruth:
    """Load the ground truth at ``path`` for ``profile``.

    Profile options (keywords): native ``hitbox`` ("occupancy" | "boxes"), ``memory_map``;
    shrec19 ``z_offset`` (156), ``padding`` (0), ``rebuild_hitbox``, ``shape``,
    ``memory_map``; shrec20 ``slab_padding`` (156); shrec21 ``excluded``
    (("4v94", "vesicle")). See ``docs/evaluation.md``.

    Raises:
        GroundTruthError: missing files, malformed lists, inconsistent volumes.
        ValueError: an unknown profile, or an option the profile lacks or of a wrong type.
    """
    get_profile(profile)
    loaders: dict[str, Callable[[Path], GroundTruth]] = {
        "native": lambda p: load_native(p, make_options(NativeOptions, profile, profile_options)),
        "shrec19": lambda p: load_shrec19(
            p, make_options(Shrec19Options, profile, profile_options)
        ),
        "shrec20": lambda p: load_shrec20(
            p, make_options(Shrec20Options, profile, profile_options)
        ),
        "shrec21": lambda p: load_shrec21(
            p, make_options(Shrec21Options, profile, profile_options)
        ),
    }
    return loaders[profile](Path(path))
