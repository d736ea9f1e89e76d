"""Ranking by confidence: precision-recall curves as the score threshold sweeps.

At threshold t the submission is cut to the predictions with score >= t. Localization:
a particle is found when any kept prediction hits it, so each point equals the
localization of the cut file (TP / RR, TP / N). Classification: a particle is found
when a kept prediction *labelled with its class* hits it (detection-style, every kept
prediction counts in the precision); per class, only predictions labelled that class.
Average precision is the step sum Σ (R_i − R_{i−1}) P_i over thresholds from high to low.
AP and the best F1 use every threshold; the curves keep at most ``MAX_CURVE_POINTS`` of
them (evenly spaced by rank, first, last and best-F1 points always kept) so that results
of large submissions stay small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.matching import Hits
from evaluation.submission import Submission

MAX_CURVE_POINTS = 250


@dataclass(frozen=True)
class BestF1:
    """The threshold with the highest F1 (the highest such threshold on ties)."""

    threshold: float
    f1: float
    precision: float
    recall: float
    predictions: int


@dataclass(frozen=True)
class PrecisionRecallCurve:
    """One point per distinct score, thresholds from high to low."""

    thresholds: npt.NDArray[np.float64]
    precision: npt.NDArray[np.float64]
    recall: npt.NDArray[np.float64]
    average_precision: float
    best_f1: BestF1


@dataclass(frozen=True)
class ClassRanking:
    """Average precision and best-F1 threshold of one class (None: no particles/picks)."""

    average_precision: float | None
    best_f1: BestF1 | None


@dataclass(frozen=True)
class Ranking:
    """Curves for localization and classification, and per-class average precision."""

    localization: PrecisionRecallCurve
    classification: PrecisionRecallCurve
    per_class: dict[str, ClassRanking]
    mean_average_precision: float | None  # over the classes that have particles


def curve(
    prediction_scores: npt.NDArray[np.float64],
    target_scores: npt.NDArray[np.float64],
    n_targets: int,
) -> PrecisionRecallCurve:
    """The curve of predictions with ``prediction_scores`` against ``n_targets`` targets;
    ``target_scores`` holds, per found target, the best score of a prediction finding it."""
    thresholds, precision, recall, average_precision, best, best_f1 = _sweep(
        prediction_scores, target_scores, n_targets
    )
    # evenly spaced points and the best one, each once (np.unique would load numpy.ma)
    spaced = np.linspace(0, len(thresholds) - 1, MAX_CURVE_POINTS).round().astype(int)
    shown = np.flatnonzero(np.bincount(np.append(spaced, best)))
    return PrecisionRecallCurve(
        thresholds[shown], precision[shown], recall[shown], average_precision, best_f1
    )


def _sweep(
    prediction_scores: npt.NDArray[np.float64],
    target_scores: npt.NDArray[np.float64],
    n_targets: int,
) -> tuple[
    npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64], float, int, BestF1
]:
    """Every point of the curve (thresholds high to low, precision, recall), its average
    precision, and the index and figures of its best-F1 point."""
    ascending = np.sort(prediction_scores)
    # the first of each run of equal scores: a distinct score, and how many lie below it
    starts = np.flatnonzero(np.concatenate(([True], ascending[1:] != ascending[:-1])))[::-1]
    thresholds = ascending[starts]
    kept = len(ascending) - starts
    found = len(target_scores) - np.searchsorted(np.sort(target_scores), thresholds, side="left")
    precision = found / kept
    recall = found / n_targets
    average_precision = float(np.sum(np.diff(recall, prepend=0.0) * precision))
    f1 = 2 * found / (kept + n_targets)
    best = int(np.argmax(f1))
    best_f1 = BestF1(
        float(thresholds[best]),
        float(f1[best]),
        float(precision[best]),
        float(recall[best]),
        int(kept[best]),
    )
    return thresholds, precision, recall, average_precision, best, best_f1


def ranking(ground_truth: GroundTruth, submission: Submission, hits: Hits) -> Ranking | None:
    """Curves and average precisions; None when the submission has no scores."""
    scores = submission.scores
    if scores is None:
        return None
    rows = np.flatnonzero(hits.counted)
    particle = hits.particle[rows]
    best_hit = _best_per_particle(len(ground_truth.particles), particle, scores[rows])
    true = ground_truth.particles.classes
    same = submission.classes[rows] == true[particle]
    best_labelled = _best_per_particle(len(true), particle[same], scores[rows][same])
    scored = ground_truth.counted
    n = ground_truth.n_particles
    size = len(ground_truth.class_names) + 1
    # the scores of each class's predictions, and of each class's counted particles
    labelled_scores = _split_by_class(submission.classes, scores, size)
    target_scores = _split_by_class(true[scored], best_labelled[scored], size)
    per_class = {}
    for index, name in enumerate(ground_truth.class_names, start=1):
        targets = target_scores[index]
        if not len(targets) or name in ground_truth.excluded_classes:
            per_class[name] = ClassRanking(None, None)
        elif not len(labelled_scores[index]):
            per_class[name] = ClassRanking(0.0, None)
        else:
            *_, average_precision, _, best_f1 = _sweep(
                labelled_scores[index], _finite(targets), len(targets)
            )
            per_class[name] = ClassRanking(average_precision, best_f1)
    precisions = [
        c.average_precision for c in per_class.values() if c.average_precision is not None
    ]
    return Ranking(
        localization=curve(scores, _finite(best_hit[scored]), n),
        classification=curve(scores, _finite(best_labelled[scored]), n),
        per_class=per_class,
        mean_average_precision=float(np.mean(precisions)) if precisions else None,
    )


def _split_by_class(
    classes: npt.NDArray[np.int64], values: npt.NDArray[np.float64], size: int
) -> list[npt.NDArray[np.float64]]:
    """``values`` grouped by class index 0..size-1 (each group in its original order)."""
    order = np.argsort(classes, kind="stable")
    bounds = np.searchsorted(classes[order], np.arange(size + 1)).tolist()
    grouped = values[order]
    return [grouped[bounds[i] : bounds[i + 1]] for i in range(size)]


def _best_per_particle(
    n_particles: int, particle: npt.NDArray[np.int64], scores: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    best = np.full(n_particles, -np.inf)
    np.maximum.at(best, particle, scores)
    return best


def _finite(values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return values[np.isfinite(values)]
