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
import numpy.typing as npt

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
    size = len(names) + 1
    tp = matched_per_class(
        coords, pick_class, ground_truth.particles.centres[particles], part_class, radius
    )
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


# Above this many candidate pairs per point (e.g. all particles of a class in one small
# region), a k-d tree finds the near pairs faster than the sorted windows.
_WINDOW_PAIRS_PER_POINT = 64


def matched_per_class(
    coords: npt.NDArray[np.float64],
    pick_class: npt.NDArray[np.int64],
    centres: npt.NDArray[np.float64],
    part_class: npt.NDArray[np.int64],
    radius: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Matched pairs per class (index 0..len(radius)-1) in a maximum one-to-one matching of
    picks to particles of their class within the class's radius."""
    size = len(radius)
    if len(coords) == 0 or len(centres) == 0:
        return np.zeros(size, dtype=np.int64)
    rows, cols = near_pairs(coords, pick_class, centres, part_class, radius)
    if len(rows) == 0:
        return np.zeros(size, dtype=np.int64)
    # Where every pick is near one particle at most (or every particle near one pick at
    # most), the graph is a union of stars and a maximum matching takes one edge per star.
    # Particles of one class closer than its match distance break this; then scipy matches.
    if np.bincount(rows).max() == 1:
        return np.bincount(part_class[_distinct(cols)], minlength=size)
    if np.bincount(cols).max() == 1:
        return np.bincount(pick_class[_distinct(rows)], minlength=size)
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(coords), len(centres)))
    matched = maximum_bipartite_matching(graph, perm_type="column") >= 0
    return np.bincount(pick_class[matched], minlength=size)


def near_pairs(
    coords: npt.NDArray[np.float64],
    pick_class: npt.NDArray[np.int64],
    centres: npt.NDArray[np.float64],
    part_class: npt.NDArray[np.int64],
    radius: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(pick, particle) pairs of one class within that class's radius, in no set order.

    A distance is sqrt((dx² + dy²) + dz²), and a pair counts when its squared distance is
    within the largest radius squared and its distance within its class radius: the
    arithmetic of scipy's cKDTree.sparse_distance_matrix followed by the class filter.
    """
    # the windows are searched from the side with fewer points (a pair is a pair from
    # either side): a SHREC-size file has twice as many picks as particles
    if len(centres) < len(coords):
        found = _window_pairs(centres, part_class, coords, pick_class, radius)
        candidates = None if found is None else (found[1], found[0])
    else:
        candidates = _window_pairs(coords, pick_class, centres, part_class, radius)
    if candidates is None:
        candidates = _tree_pairs(coords, centres, float(radius.max()))
    rows, cols = candidates
    same = pick_class[rows] == part_class[cols]
    rows, cols = rows[same], cols[same]
    offsets = coords[rows] - centres[cols]
    squared = offsets[:, 0] * offsets[:, 0] + offsets[:, 1] * offsets[:, 1]
    squared += offsets[:, 2] * offsets[:, 2]
    reach = float(radius.max())
    keep = (squared <= reach * reach) & (np.sqrt(squared) <= radius[pick_class[rows]])
    return rows[keep], cols[keep]


def _window_pairs(
    points: npt.NDArray[np.float64],
    point_class: npt.NDArray[np.int64],
    others: npt.NDArray[np.float64],
    other_class: npt.NDArray[np.int64],
    radius: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Candidate (point, other) pairs: each point against the others of its class in the y
    rows its window reaches whose x lies within its radius, plus one voxel (a margin for
    the rounding of the bounds). None when there would be too many (a tree is faster then)."""
    margin = float(radius.max()) + 1
    # the others sorted by one key: (class, y row) blocks, x ascending inside each; a row is
    # as tall as any window, so that a window meets two rows at most
    height = 2 * margin
    y_low = min(float(points[:, 1].min()), float(others[:, 1].min())) - margin
    y_high = max(float(points[:, 1].max()), float(others[:, 1].max())) + margin
    n_rows = int((y_high - y_low) // height) + 2
    x_low = min(float(points[:, 0].min()), float(others[:, 0].min()))
    x_high = max(float(points[:, 0].max()), float(others[:, 0].max()))
    span = 2.0 ** np.ceil(np.log2(x_high - x_low + 2 * margin + 2))
    other_rows = ((others[:, 1] - y_low) // height).astype(np.int64)
    other_keys = (other_class * n_rows + other_rows) * span + (others[:, 0] - x_low)
    order = np.argsort(other_keys)
    sorted_keys = other_keys[order]
    reach = radius[point_class] + 1
    lowest_row = ((points[:, 1] - reach - y_low) // height).astype(np.int64)
    highest_row = ((points[:, 1] + reach - y_low) // height).astype(np.int64)
    # a query per point in its lowest row, and one in the next row where its window reaches
    # it (the same key one row on)
    low_keys = (point_class * n_rows + lowest_row) * span + (points[:, 0] - x_low)
    two_rows = np.flatnonzero(highest_row > lowest_row)
    queries = np.concatenate([np.arange(len(points)), two_rows])
    query_keys = np.concatenate([low_keys, low_keys[two_rows] + span])
    query_order = np.argsort(query_keys)  # sorted queries search faster
    queries, query_keys = queries[query_order], query_keys[query_order]
    query_reach = reach[queries]
    first = np.searchsorted(sorted_keys, query_keys - query_reach, side="left")
    last = np.searchsorted(sorted_keys, query_keys + query_reach, side="right")
    counts = last - first
    total = int(counts.sum())
    if total > _WINDOW_PAIRS_PER_POINT * (len(points) + len(others)):
        return None
    rows = np.repeat(queries, counts)
    # position of each pair in its query's window: 0, 1, ... counts - 1
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    cols = order[np.repeat(first, counts) + within]
    return rows, cols


def _tree_pairs(
    coords: npt.NDArray[np.float64], centres: npt.NDArray[np.float64], reach: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Candidate pairs within ``reach`` from k-d trees, for crowded windows."""
    from scipy.spatial import cKDTree

    picked = cKDTree(coords, balanced_tree=False)  # faster to build, as fast to query
    near = picked.sparse_distance_matrix(cKDTree(centres), reach, output_type="coo_matrix")
    return near.row.astype(np.int64), near.col.astype(np.int64)


def _distinct(indices: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The distinct non-negative ``indices``, ascending (np.unique's, without numpy.ma)."""
    return np.flatnonzero(np.bincount(indices))
