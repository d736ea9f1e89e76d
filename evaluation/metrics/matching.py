"""Hitbox look-up: which particle (if any) each prediction hits, in file order.

The SHREC'19 rule, vectorised: round each coordinate half to even, move it into the
hitbox frame (the profile's integer offset), clamp it into the volume (RO counts the
predictions this moved), and read the label of that voxel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth
from evaluation.submission import Submission


@dataclass(frozen=True, eq=False)
class Hits:
    """The outcome of every prediction, and the first hit and hit count of every particle."""

    voxels: npt.NDArray[np.int64]  # (RR, 3) x, y, z looked up (rounded, shifted, clamped)
    outside: npt.NDArray[np.bool_]  # (RR,) clamping moved the prediction
    particle: npt.NDArray[np.int64]  # (RR,) 0-based particle hit, -1 for background
    counted: npt.NDArray[np.bool_]  # (RR,) hit on a particle that counts
    ignored: npt.NDArray[np.bool_]  # (RR,) hit on a particle of an excluded class
    first_hit: npt.NDArray[np.int64]  # (N_all,) first prediction hitting the particle, or -1
    hit_count: npt.NDArray[np.int64]  # (N_all,) predictions hitting the particle

    @property
    def is_first(self) -> npt.NDArray[np.bool_]:
        """(RR,) whether the prediction is the first hit of its particle."""
        flags = np.zeros(len(self.particle), dtype=bool)
        flags[self.first_hit[self.first_hit >= 0]] = True
        return flags


def match(ground_truth: GroundTruth, submission: Submission) -> Hits:
    """Look every prediction up in the hitbox."""
    # Rounding comes before the offset, as in the official SHREC'19 script; both are exact
    # in float64, and clamping in float keeps absurd coordinates from overflowing int64.
    rounded = np.rint(submission.coords) - ground_truth.submission_offset
    upper = np.asarray(ground_truth.shape[::-1], dtype=np.float64) - 1
    clamped = np.minimum(np.maximum(rounded, 0.0), upper)
    moved = clamped != rounded
    outside = moved[:, 0] | moved[:, 1] | moved[:, 2]
    voxels = clamped.astype(np.int64)
    _, height, width = ground_truth.shape
    flat = (voxels[:, 2] * height + voxels[:, 1]) * width + voxels[:, 0]
    labels = ground_truth.hitbox.reshape(-1).take(flat).astype(np.int64)
    particle = labels - 1
    hit = particle >= 0
    counted = hit & ground_truth.counted[np.maximum(particle, 0)]
    n_all = len(ground_truth.particles)
    counted_index = np.flatnonzero(counted)
    hit_count = np.bincount(particle[counted_index], minlength=n_all).astype(np.int64)
    # the earliest prediction per particle: ufunc.at is exact with repeated indices
    first_hit = np.full(n_all, len(particle), dtype=np.int64)
    np.minimum.at(first_hit, particle[counted_index], counted_index)
    first_hit[first_hit == len(particle)] = -1
    return Hits(voxels, outside, particle, counted, hit & ~counted, first_hit, hit_count)
