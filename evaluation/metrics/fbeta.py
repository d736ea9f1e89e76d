"""Distance-matched F-beta (the CZII cryo-ET challenge's metric, with one-to-one matching).

A prediction matches a particle of its own class whose centre lies within ``multiplier ×
class radius`` voxels of the (unrounded) prediction; each particle and each prediction is
matched at most once, and the matching is a maximum one (scipy's bipartite matching), so
no greedy order decides. Per class: TP matched pairs, FP the class's other predictions,
FN its unmatched particles, F-beta = (1 + β²) TP / ((1 + β²) TP + β² FN + FP).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching
from scipy.spatial import cKDTree

from evaluation.classes import CLASS_RADII
from evaluation.ground_truth import GroundTruth
from evaluation.submission import Submission


@dataclass(frozen=True)
class FBetaScores:
    """Counts and scores of one class (or of all classes together)."""

    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    fbeta: float | None


@dataclass(frozen=True)
class FBeta:
    """Per-class scores, their micro (pooled counts) and macro (mean) averages."""

    beta: float
    multiplier: float
    distance_thresholds: dict[str, float]  # voxels, per class
    per_class: dict[str, FBetaScores]
    overall: FBetaScores
    macro_fbeta: float | None


def fbeta_scores(tp: int, fp: int, fn: int, beta: float) -> FBetaScores:
    """Precision, recall and F-beta from counts (None where a denominator is 0)."""
    weight = beta * beta
    denominator = (1 + weight) * tp + weight * fn + fp
    return FBetaScores(
        tp,
        fp,
        fn,
        tp / (tp + fp) if tp + fp else None,
        tp / (tp + fn) if tp + fn else None,
        (1 + weight) * tp / denominator if denominator else None,
    )


def fbeta(
    ground_truth: GroundTruth, submission: Submission, *, beta: float, multiplier: float
) -> FBeta:
    """Match predictions to particles by distance and score every class that has a radius."""
    names = ground_truth.class_names
    radius = np.array([0.0] + [CLASS_RADII.get(n, 0.0) * multiplier for n in names])
    radius[[names.index(n) + 1 for n in ground_truth.excluded_classes]] = 0.0
    particles = np.flatnonzero(ground_truth.counted & (radius[ground_truth.particles.classes] > 0))
    part_class = ground_truth.particles.classes[particles]
    picks = np.flatnonzero(radius[submission.classes] > 0)
    pick_class = submission.classes[picks]
    coords = submission.coords[picks] - ground_truth.submission_offset
    # Far-off picks match nothing; pulling them to just beyond reach (R + 2 outside the
    # volume on each axis) keeps every distance the tree computes finite.
    reach = radius.max() + 2
    coords = np.clip(coords, -reach, np.asarray(ground_truth.shape[::-1]) - 1 + reach)
    matched = np.zeros(len(picks), dtype=bool)
    if len(picks) and len(particles):
        tree = cKDTree(ground_truth.particles.centres[particles])
        picked = cKDTree(coords, balanced_tree=False)  # faster to build, as fast to query
        near = picked.sparse_distance_matrix(tree, radius.max(), output_type="coo_matrix")
        keep = (pick_class[near.row] == part_class[near.col]) & (
            near.data <= radius[pick_class[near.row]]
        )
        graph = csr_matrix(
            (np.ones(int(keep.sum())), (near.row[keep], near.col[keep])),
            shape=(len(picks), len(particles)),
        )
        matched = maximum_bipartite_matching(graph, perm_type="column") >= 0
    size = len(names) + 1
    tp = np.bincount(pick_class[matched], minlength=size)
    predicted = np.bincount(pick_class, minlength=size)
    present = np.bincount(part_class, minlength=size)
    per_class = {}
    for index, name in enumerate(names, start=1):
        if radius[index] > 0:
            counts = (
                int(tp[index]),
                int(predicted[index] - tp[index]),
                int(present[index] - tp[index]),
            )
            per_class[name] = fbeta_scores(*counts, beta)
    total_tp, total_picks, total_particles = int(tp.sum()), len(picks), len(particles)
    overall = fbeta_scores(total_tp, total_picks - total_tp, total_particles - total_tp, beta)
    defined = [s.fbeta for s in per_class.values() if s.fbeta is not None]
    return FBeta(
        beta=beta,
        multiplier=multiplier,
        distance_thresholds={n: float(radius[i]) for i, n in enumerate(names, 1) if radius[i] > 0},
        per_class=per_class,
        overall=overall,
        macro_fbeta=float(np.mean(defined)) if defined else None,
    )
