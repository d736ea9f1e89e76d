"""A plain per-prediction loop, the way the official SHREC'19 script scored: the
executable statement of docs/evaluation.md (Metrics: localization, classification) that the
vectorised evaluator is tested against, and the speed reference of ``benchmarks/evaluate.py``.
Not used for scoring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.spatial import distance

from evaluation.classes import CLASS_RADII
from evaluation.ground_truth import GroundTruth
from evaluation.metrics.classification import size_group_f1
from evaluation.submission import Submission


@dataclass(frozen=True)
class ReferenceScores:
    """Localization counts, mean distances, first-hit classes (0 = none) per particle, and
    the per-class and size-group F1 of Tables 2 and 4."""

    RR: int
    TP: int
    FP: int
    FN: int
    MH: int
    RO: int
    ignored: int
    AD_all: float | None
    AD_first: float | None
    predicted: list[int]
    class_f1: dict[str, float | None]
    size_groups: dict[str, float | None]


def reference_scores(ground_truth: GroundTruth, submission: Submission) -> ReferenceScores:
    """Score ``submission`` one prediction at a time, in file order."""
    depth, height, width = ground_truth.shape
    offset_x, offset_y, offset_z = (int(v) for v in ground_truth.submission_offset)
    centres = ground_truth.particles.centres.tolist()
    scored = ground_truth.counted.tolist()
    excluded = {ground_truth.class_names.index(n) + 1 for n in ground_truth.excluded_classes}
    hit_count = [0] * len(centres)
    predicted = [0] * len(centres)
    false_positives = outside = ignored = 0
    distances: list[float] = []
    first_distances: list[float] = []
    for class_index, (x, y, z) in zip(
        submission.classes.tolist(), submission.coords.tolist(), strict=True
    ):
        # round half to even first, then move into the hitbox frame, then clamp
        wanted = (round(x) - offset_x, round(y) - offset_y, round(z) - offset_z)
        voxel = (
            max(0, min(wanted[0], width - 1)),
            max(0, min(wanted[1], height - 1)),
            max(0, min(wanted[2], depth - 1)),
        )
        if voxel != wanted:
            outside += 1
        # the official script's look-up and distance: chained indexing, scipy's euclidean
        label = int(ground_truth.hitbox[voxel[2]][voxel[1]][voxel[0]])
        if label == 0:
            false_positives += 1
            continue
        particle = label - 1
        if not scored[particle]:
            ignored += 1
            continue
        hit_count[particle] += 1
        separation = float(distance.euclidean(voxel, centres[particle]))
        distances.append(separation)
        if hit_count[particle] == 1:  # the first hit decides the class
            predicted[particle] = 0 if class_index in excluded else class_index
            first_distances.append(separation)
    class_f1 = _class_f1(ground_truth, predicted, scored)
    counted = [count for count, keep in zip(hit_count, scored, strict=True) if keep]
    found = sum(1 for count in counted if count > 0)
    return ReferenceScores(
        RR=len(submission),
        TP=found,
        FP=false_positives,
        FN=len(counted) - found,
        MH=sum(1 for count in counted if count > 1),
        RO=outside,
        ignored=ignored,
        AD_all=sum(distances) / len(distances) if distances else None,
        AD_first=sum(first_distances) / len(first_distances) if first_distances else None,
        predicted=predicted,
        class_f1=class_f1,
        size_groups=size_group_f1(class_f1),
    )


def _class_f1(
    ground_truth: GroundTruth, predicted: list[int], scored: list[bool]
) -> dict[str, float | None]:
    """Per-class F1 = 2TP / (2TP + FP + FN) over the counted particles, one at a time."""
    names = ground_truth.class_names
    tp = dict.fromkeys(names, 0)
    fp = dict.fromkeys(names, 0)
    fn = dict.fromkeys(names, 0)
    for true, guess, keep in zip(
        ground_truth.particles.classes.tolist(), predicted, scored, strict=True
    ):
        if not keep:
            continue
        if guess == true:
            tp[names[true - 1]] += 1
            continue
        fn[names[true - 1]] += 1
        if guess:
            fp[names[guess - 1]] += 1
    return {
        name: 2 * tp[name] / (2 * tp[name] + fp[name] + fn[name])
        if 2 * tp[name] + fp[name] + fn[name]
        else None
        for name in names
    }


def reference_fbeta_matched(
    ground_truth: GroundTruth, submission: Submission, *, multiplier: float
) -> dict[str, int]:
    """Matched pairs per class of the distance-matched F-beta, by definition: every pick
    against every particle of its class, one pair at a time, then scipy's maximum bipartite
    matching of the near pairs."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    names = ground_truth.class_names
    radius = [0.0] + [
        0.0 if n in ground_truth.excluded_classes else CLASS_RADII.get(n, 0.0) * multiplier
        for n in names
    ]
    largest = max(radius)
    offset = ground_truth.submission_offset.tolist()
    particles = [
        (index, int(cls), centre)
        for index, (cls, centre, keep) in enumerate(
            zip(
                ground_truth.particles.classes.tolist(),
                ground_truth.particles.centres.tolist(),
                ground_truth.counted.tolist(),
                strict=True,
            )
        )
        if keep and radius[cls] > 0
    ]
    rows, cols = [], []
    for pick, (cls, coords) in enumerate(
        zip(submission.classes.tolist(), submission.coords.tolist(), strict=True)
    ):
        x, y, z = (value - shift for value, shift in zip(coords, offset, strict=True))
        for column, (_, particle_class, (cx, cy, cz)) in enumerate(particles):
            if particle_class != cls or radius[cls] == 0:
                continue
            squared = (x - cx) * (x - cx) + (y - cy) * (y - cy) + (z - cz) * (z - cz)
            # the squared bound too: scipy's tree, which the evaluator used, compares squares
            if squared <= largest * largest and math.sqrt(squared) <= radius[cls]:
                rows.append(pick)
                cols.append(column)
    graph = csr_matrix(
        ([1.0] * len(rows), (rows, cols)), shape=(len(submission), max(len(particles), 1))
    )
    matched = maximum_bipartite_matching(graph, perm_type="column") >= 0
    counts = dict.fromkeys(names, 0)
    for pick in matched.nonzero()[0].tolist():
        counts[names[int(submission.classes[pick]) - 1]] += 1
    return counts
