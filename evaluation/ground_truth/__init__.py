"""Ground truths: load once (checksummed, hitbox in memory or memory-mapped), score many."""

from __future__ import annotations

import os
from typing import Any

from evaluation.ground_truth import file_facts
from evaluation.ground_truth.model import GroundTruth, Particles
from evaluation.profiles import get_profile

__all__ = ["GroundTruth", "Particles", "load_ground_truth"]


def load_ground_truth(
    path: str | os.PathLike[str],
    profile: str = "native",
    *,
    cache: bool = False,
    **profile_options: Any,
) -> GroundTruth:
    """Load the ground truth at ``path`` for ``profile``.

    With ``cache``, a hitbox file already loaded once and unchanged since is memory-mapped
    and its checksum and checks are read from a per-user cache instead of recomputed over
    every voxel (:mod:`evaluation.ground_truth.file_facts`; the same figures either way).

    Profile options (keywords): native ``hitbox`` ("occupancy" | "boxes"), ``memory_map``;
    shrec19 ``z_offset`` (156), ``padding`` (0), ``rebuild_hitbox``, ``shape``,
    ``memory_map``; shrec20 ``slab_padding`` (156); shrec21 ``excluded``
    (("4v94", "vesicle")). See ``docs/evaluation.md`` and :mod:`evaluation.profile_options`.

    Raises:
        GroundTruthError: missing files, malformed lists, inconsistent volumes.
        ValueError: an unknown profile (``UnknownProfileError``), or an option the profile
            lacks or of a wrong type.
    """
    with file_facts.caching(cache):
        return get_profile(profile).load(path, **profile_options)
