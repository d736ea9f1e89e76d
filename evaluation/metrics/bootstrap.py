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
from scipy.sparse import csr_matrix

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
    """(resamples, N) multiplicity of each counted particle in each resample, as float32.

    Drawn once per ground truth, resample count and seed, and cached on the ground truth
    (stored transposed, particle-major, which is what the sparse products below read).
    """
    return _particle_major_weights(ground_truth, resamples, seed).T


def _particle_major_weights(ground_truth: GroundTruth, resamples: int, seed: int) -> np.ndarray:
    key = ("bootstrap weights", resamples, seed)
    cached = ground_truth._cache.get(key)
    if isinstance(cached, np.ndarray):
        return cached
    n = ground_truth.n_particles
    drawn = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    # count (particle, resample) pairs straight into particle-major order: no transpose
    slots = drawn * resamples + np.arange(resamples)[:, None]
    counts = np.bincount(slots.ravel(), minlength=n * resamples).reshape(n, resamples)
    particle_major = counts.astype(np.float32)
    ground_truth._cache[key] = particle_major
    return particle_major


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
    weights = _particle_major_weights(ground_truth, resamples, seed)  # (N, resamples)
    scored = ground_truth.counted
    true = ground_truth.particles.classes[scored]
    guess = predicted[scored]
    counts = hits.hit_count[scored]
    size = len(ground_truth.class_names) + 1
    # Each found particle adds to at most four sums: found, hits, TP of its class, FP of the
    # class it was taken for. A sparse (sums x particles) matrix times the weights gives
    # every sum of every resample in one product.
    found_rows = np.flatnonzero(counts > 0)
    correct = found_rows[guess[found_rows] == true[found_rows]]
    wrong = found_rows[(guess[found_rows] != true[found_rows]) & (guess[found_rows] > 0)]
    rows = np.concatenate(
        [
            np.zeros(len(found_rows), dtype=np.int64),  # row 0: found
            np.ones(len(found_rows), dtype=np.int64),  # row 1: hits
            2 + true[correct],  # rows 2..: TP per class
            2 + size + guess[wrong],  # rows 2 + size..: FP per class
        ]
    )
    columns = np.concatenate([found_rows, found_rows, correct, wrong])
    values = np.ones(len(rows), dtype=np.float32)
    values[len(found_rows) : 2 * len(found_rows)] = counts[found_rows]
    sums = csr_matrix((values, (rows, columns)), shape=(2 + 2 * size, len(true))) @ weights
    found, hit_total = sums[0], sums[1]
    tp, fp = sums[2 : 2 + size], sums[2 + size :]
    members = _class_members(ground_truth, weights, resamples, seed)
    fixed = located.FP + located.ignored
    f1 = 2 * found / (fixed + hit_total + ground_truth.n_particles)
    denominator = tp + fp + members  # 2TP + FP + FN with FN = members - TP
    with np.errstate(invalid="ignore", divide="ignore"):
        class_f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
    groups = {}
    for group, names in SIZE_GROUPS.items():
        known = [
            ground_truth.class_names.index(n) + 1 for n in names if n in ground_truth.class_names
        ]
        groups[group] = _interval(_nanmean_columns(class_f1[known]))
    return BootstrapIntervals(resamples, seed, CONFIDENCE, _interval(f1), groups)


def _class_members(
    ground_truth: GroundTruth, weights: np.ndarray, resamples: int, seed: int
) -> np.ndarray:
    """(classes + 1, resamples) particles of each class in each resample (cached)."""
    key = ("bootstrap members", resamples, seed)
    cached = ground_truth._cache.get(key)
    if isinstance(cached, np.ndarray):
        return cached
    true = ground_truth.particles.classes[ground_truth.counted]
    size = len(ground_truth.class_names) + 1
    one_hot = csr_matrix(
        (np.ones(len(true), dtype=np.float32), (true, np.arange(len(true)))),
        shape=(size, len(true)),
    )
    members: np.ndarray = one_hot @ weights
    ground_truth._cache[key] = members
    return members


def _nanmean_columns(values: np.ndarray) -> np.ndarray:
    """Mean over the rows (classes) of each column (resample), ignoring NaN."""
    defined = np.isfinite(values)
    counts = defined.sum(axis=0)
    sums = np.where(defined, values, 0.0).sum(axis=0)
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
