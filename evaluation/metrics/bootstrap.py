"""Bootstrap 95% intervals: resample the ground-truth particles, rescore, take percentiles.

Each resample draws N particles with replacement (fixed seed). A drawn particle brings
its outcome along: found or not, its hits, its predicted class. Background false
positives (and SHREC'21 ignored hits) stay as they are. The resamples depend only on the
ground truth and the seed, so they are drawn once per ground truth and shared by every
submission scored against it: intervals of two entries are paired and comparable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.classes import SIZE_GROUPS
from evaluation.ground_truth import GroundTruth
from evaluation.metrics.localization import Localization
from evaluation.metrics.matching import Hits

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A percentile interval (None when the statistic is undefined in every resample)."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class BootstrapIntervals:
    """Intervals for localization F1 and each size group's F1."""

    resamples: int
    seed: int
    confidence: float
    localization_f1: Interval
    size_groups: dict[str, Interval]


def resample_weights(ground_truth: GroundTruth, resamples: int, seed: int) -> np.ndarray:
    """(resamples, N) multiplicity of each counted particle in each resample, as float32
    (cached on the ground truth)."""
    key = ("bootstrap weights", resamples, seed)
    cached = ground_truth._cache.get(key)
    if isinstance(cached, np.ndarray):
        return cached
    n = ground_truth.n_particles
    drawn = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    drawn += (np.arange(resamples) * n)[:, None]
    weights = np.bincount(drawn.ravel(), minlength=resamples * n).reshape(resamples, n)
    result = weights.astype(np.float32)
    ground_truth._cache[key] = result
    return result


def bootstrap(
    ground_truth: GroundTruth,
    hits: Hits,
    located: Localization,
    predicted: npt.NDArray[np.int64],
    *,
    resamples: int,
    seed: int,
) -> BootstrapIntervals:
    """Percentile intervals from ``resamples`` resamples of the particles."""
    weights = resample_weights(ground_truth, resamples, seed)
    scored = ground_truth.scored
    true = ground_truth.particles.classes[scored]
    guess = predicted[scored]
    size = len(ground_truth.class_names) + 1
    eye = np.eye(size, dtype=np.float32)
    correct = guess == true
    features = np.column_stack(
        [
            (hits.hit_count[scored] > 0).astype(np.float32),
            hits.hit_count[scored].astype(np.float32),
            eye[true] * correct[:, None],  # TP of the true class
            eye[guess] * (~correct & (guess > 0))[:, None],  # FP of the predicted class
            eye[true],  # particles of each class
        ]
    )
    totals = weights @ features  # (resamples, 2 + 3 * size)
    found, hit_total = totals[:, 0], totals[:, 1]
    tp, fp, members = np.split(totals[:, 2:], 3, axis=1)
    fixed = located.FP + located.ignored
    f1 = 2 * found / (fixed + hit_total + ground_truth.n_particles)
    denominator = tp + fp + members  # 2TP + FP + FN with FN = members - TP
    with np.errstate(invalid="ignore", divide="ignore"):
        class_f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
    groups = {}
    for group, names in SIZE_GROUPS.items():
        columns = [
            ground_truth.class_names.index(n) + 1 for n in names if n in ground_truth.class_names
        ]
        groups[group] = _interval(_nanmean_rows(class_f1[:, columns]))
    return BootstrapIntervals(resamples, seed, CONFIDENCE, _interval(f1), groups)


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    defined = np.isfinite(values)
    counts = defined.sum(axis=1)
    sums = np.where(defined, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: np.ndarray = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means


def _interval(values: np.ndarray) -> Interval:
    defined = values[np.isfinite(values)]
    if len(defined) == 0:
        return Interval(None, None)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(defined.astype(np.float64), [tail, 100 - tail])
    return Interval(float(low), float(high))
