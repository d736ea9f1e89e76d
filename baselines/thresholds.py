"""Detection thresholds fitted on annotated tomograms by the SHREC'19 localization F1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ScoredPicks:
    """Candidate picks on one annotated tomogram: their scores, the hitbox label each one hits
    (0 for background, as the evaluator looks it up) and the tomogram's particle count."""

    scores: np.ndarray
    hits: np.ndarray
    particles: int


def hit_labels(occupancy: np.ndarray, coordinates: np.ndarray) -> np.ndarray:
    """The hitbox label under each (z, y, x) coordinate, rounded half to even and clamped into
    the volume, exactly as the evaluator looks predictions up."""
    voxels = np.rint(np.asarray(coordinates, dtype=np.float64)).astype(np.int64).reshape(-1, 3)
    voxels = np.clip(voxels, 0, np.array(occupancy.shape) - 1)
    return occupancy[voxels[:, 0], voxels[:, 1], voxels[:, 2]].astype(np.int64)


def best_f1_threshold(candidates: list[ScoredPicks]) -> tuple[float, float]:
    """The score threshold that maximises the localization F1 pooled over `candidates`.

    Keeping every pick with score >= threshold, TP counts particles hit at least once, RR the
    picks kept, so F1 = 2·TP / (RR + N). Returns (threshold, F1); with no candidate or no hit
    the threshold is +inf (keep nothing) and the F1 0.
    """
    scores, hits, particles, offset = [], [], 0, 0
    for picks in candidates:
        scores.append(np.asarray(picks.scores, dtype=np.float64))
        # particle labels made unique across tomograms
        hits.append(np.where(picks.hits > 0, picks.hits + offset, 0))
        offset += int(max(picks.hits.max(initial=0), picks.particles))
        particles += picks.particles
    all_scores, all_hits = (
        np.concatenate([np.zeros(0), *scores]),
        np.concatenate([np.zeros(0, np.int64), *hits]),
    )
    if particles == 0 or not np.any(all_hits > 0):
        return float("inf"), 0.0
    order = np.argsort(-all_scores, kind="stable")
    ordered_scores, ordered_hits = all_scores[order], all_hits[order].astype(np.int64)
    first_hit = np.zeros(len(order), dtype=bool)
    _, first_positions = np.unique(ordered_hits, return_index=True)
    first_hit[first_positions] = True
    first_hit &= ordered_hits > 0
    true_positives = np.cumsum(first_hit)
    kept = np.arange(1, len(order) + 1)
    f1 = 2 * true_positives / (kept + particles)
    # a threshold can only cut between distinct scores: use the last index of each score run
    run_end = np.r_[ordered_scores[1:] != ordered_scores[:-1], True]
    best = int(np.argmax(np.where(run_end, f1, -1.0)))
    return float(ordered_scores[best]), float(f1[best])
