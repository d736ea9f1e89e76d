"""Bootstrap 95% intervals: resample the ground-truth particles, rescore, take percentiles.

Each resample draws N particles with replacement (fixed seed). A drawn particle brings
its outcome along: found or not, its hits, its predicted class. Background false
positives (and SHREC'21 ignored hits) stay as they are. The resamples depend only on the
ground truth and the seed, so they are drawn once per ground truth and shared by every
submission scored against it: intervals of two entries are paired and comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from evaluation.classes import SIZE_GROUPS
from evaluation.ground_truth import GroundTruth, file_facts
from evaluation.metrics.localization import Localization
from evaluation.metrics.matching import Hits
from evaluation.quantiles import percentile

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A percentile interval (None when the statistic is undefined in every resample)."""

    low: float | None
    high: float | None


@dataclass(frozen=True)
class ResampleSums:
    """Exact integer sums of each resample (one column each): the found particles, their
    hits, and the found particles per outcome (rows 0..size-1: a TP of that class; rows
    size..2*size-1: taken for that class, not their own)."""

    found: npt.NDArray[np.int64]
    hits: npt.NDArray[np.int64]
    per_outcome: npt.NDArray[np.int64]


@dataclass(frozen=True)
class BootstrapIntervals:
    """Intervals for localization F1 and each size group's F1, and the sums of the resamples
    they come from (not part of the result document: `evaluation.result.jsonable`)."""

    resamples: int
    seed: int
    confidence: float
    localization_f1: Interval
    size_groups: dict[str, Interval]
    sums: ResampleSums | None = field(
        default=None, compare=False, repr=False, metadata={"document": False}
    )


def resample_weights(ground_truth: GroundTruth, resamples: int, seed: int) -> np.ndarray:
    """(resamples, N) multiplicity of each counted particle in each resample, as float32.

    Drawn once per ground truth, resample count and seed, and cached on the ground truth.
    """
    return _particle_major_weights(ground_truth, resamples, seed).T.astype(np.float32)


def _particle_major_weights(ground_truth: GroundTruth, resamples: int, seed: int) -> np.ndarray:
    """(N, resamples) multiplicities, as uint8 (uint32 if one exceeds 255), cached."""
    key = ("bootstrap weights", resamples, seed)
    cached = ground_truth._cache.get(key)
    if isinstance(cached, np.ndarray):
        return cached
    n = ground_truth.n_particles

    def valid(weights: np.ndarray) -> bool:  # each resample draws n particles
        return (
            weights.shape == (n, resamples)
            and weights.dtype in (np.uint8, np.uint32)
            and bool(np.all(weights.sum(axis=0, dtype=np.int64) == n))
        )

    # the weights depend on n, resamples, seed and numpy's generator only: with the hitbox
    # file's facts they are kept in the cache (a process's first draw costs ~15 ms)
    particle_major = file_facts.stored_array(
        file_facts.of_array(ground_truth.hitbox),
        f"bootstrap-weights-{n}-{resamples}-{seed}-numpy{np.__version__}",
        lambda: _draw_weights(n, resamples, seed),
        valid,
    )
    ground_truth._cache[key] = particle_major
    return particle_major


def _draw_weights(n: int, resamples: int, seed: int) -> np.ndarray:
    """(n, resamples) multiplicities of ``resamples`` draws of n of n particles."""
    # int32 draws are the int64 draws (both take numpy's 32-bit bounded path below 2**32;
    # tests/evaluation/test_fast_paths.py) in half the memory: the first run of a process
    # spends most of this function faulting that memory in
    dtype = np.int32 if n <= np.iinfo(np.int32).max else np.int64
    drawn = np.random.default_rng(seed).integers(0, n, size=(resamples, n), dtype=dtype)
    # counted a block of resamples at a time: the bins stay in cache and no array of
    # resamples x N counts is ever allocated
    particle_major = np.empty((n, resamples), dtype=np.uint8)
    block = 64
    for first in range(0, resamples, block):
        rows = drawn[first : first + block]
        shifted = rows + (np.arange(len(rows)) * n)[:, None]
        counts = np.bincount(shifted.ravel(), minlength=len(rows) * n).reshape(len(rows), n)
        if counts.max() > np.iinfo(np.uint8).max:  # one particle drawn 256 times or more
            particle_major = particle_major.astype(np.uint32)
        particle_major[:, first : first + len(rows)] = counts.T
    return particle_major


def resample_sums(
    ground_truth: GroundTruth,
    hits: Hits,
    predicted: npt.NDArray[np.int64],
    *,
    resamples: int,
    seed: int,
) -> ResampleSums:
    """The sums of every resample, from the shared multiplicities (drawn once per ground
    truth, resample count and seed)."""
    weights = _particle_major_weights(ground_truth, resamples, seed)  # (N, resamples)
    scored = ground_truth.counted
    true = ground_truth.particles.classes[scored]
    guess = predicted[scored]
    counts = hits.hit_count[scored]
    size = len(ground_truth.class_names) + 1
    # A found particle is either a TP of its class or taken for another class (an FP of
    # that class, or of none): one of 2 x size outcomes. The weights summed per outcome and
    # per hit count give every sum of every resample, in exact integers.
    found_rows = np.flatnonzero(counts > 0)
    true_found, guess_found = true[found_rows], guess[found_rows]
    wrong = guess_found != true_found
    missed_rows = np.flatnonzero(counts == 0)
    wrong_rows = found_rows[wrong]
    if len(missed_rows) + 2 * len(wrong_rows) < len(found_rows):
        # most particles found with their own class (a good file): fewer rows to sum the
        # other way, each class's TP being its members less its missed and mistaken ones
        per_outcome = _group_sums(weights, wrong_rows, size + guess[wrong_rows], 2 * size)
        not_tp = np.concatenate([missed_rows, wrong_rows])
        per_outcome[:size] = _class_member_sums(ground_truth, resamples, seed) - _group_sums(
            weights, not_tp, true[not_tp], size
        )
    else:
        outcome = np.where(wrong, size + guess_found, true_found)
        per_outcome = _group_sums(weights, found_rows, outcome, 2 * size)
    found = per_outcome.sum(axis=0)
    return ResampleSums(found, hit_totals(weights, counts, found_rows, found), per_outcome)


Float = TypeVar("Float", bound=np.floating[Any])


def f1_per_resample(
    found: npt.NDArray[np.int64],
    hit_total: npt.NDArray[np.int64],
    located: Localization,
    particles: int,
    *,
    dtype: type[Float],
) -> npt.NDArray[Float]:
    """The localization F1 of each resample from its exact sums: 2 found / (predictions +
    particles), where the predictions are the background's (fixed) and the hits; computed
    in `dtype` (the intervals use float32, as their sums always were; the samples float64)."""
    fixed = located.FP + located.ignored
    samples: npt.NDArray[Float] = (
        2 * found.astype(dtype) / (fixed + hit_total.astype(dtype) + particles)
    )
    return samples


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
    sums = resample_sums(ground_truth, hits, predicted, resamples=resamples, seed=seed)
    size = len(ground_truth.class_names) + 1
    # float32 from here on, as the sums always were: the same intervals to the last bit
    tp = sums.per_outcome[:size].astype(np.float32)
    fp = sums.per_outcome[size:].astype(np.float32)
    fp[0] = 0  # taken for "none": a false positive of no class
    members = _class_member_sums(ground_truth, resamples, seed).astype(np.float32)
    f1 = f1_per_resample(sums.found, sums.hits, located, ground_truth.n_particles, dtype=np.float32)
    denominator = tp + fp + members  # 2TP + FP + FN with FN = members - TP
    with np.errstate(invalid="ignore", divide="ignore"):
        class_f1 = np.where(denominator > 0, 2 * tp / denominator, np.nan)
    groups = {}
    for group, names in SIZE_GROUPS.items():
        known = [
            ground_truth.class_names.index(n) + 1 for n in names if n in ground_truth.class_names
        ]
        groups[group] = _interval(_nanmean_columns(class_f1[known]))
    return BootstrapIntervals(resamples, seed, CONFIDENCE, _interval(f1), groups, sums)


def _group_sums(
    weights: np.ndarray, rows: npt.NDArray[np.int64], groups: npt.NDArray[np.int64], size: int
) -> npt.NDArray[np.int64]:
    """(size, resamples): the weights of ``rows`` summed per group (``groups``, 0..size-1).

    Rows are gathered group by group and each group summed at once: exact, and faster than
    a matrix product (no BLAS threads, no floating point).
    """
    sums = np.zeros((size, weights.shape[1]), dtype=np.int64)
    if len(rows) == 0:
        return sums
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    gathered = weights[rows[order]]
    starts = np.flatnonzero(np.diff(sorted_groups, prepend=-1))
    ends = np.append(starts[1:], len(order))
    # a group sums at most N multiplicities (one resample draws N particles)
    total = np.uint16 if weights.shape[0] <= np.iinfo(np.uint16).max else np.int64
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        sums[sorted_groups[start]] = gathered[start:end].sum(axis=0, dtype=total)
    return sums


def hit_totals(
    weights: np.ndarray,
    counts: npt.NDArray[np.int64],
    found_rows: npt.NDArray[np.int64],
    found: npt.NDArray[np.int64],
) -> npt.NDArray[np.int64]:
    """(resamples,) the hits on found particles, each particle's hit count times its
    multiplicity: `found` (every found particle's multiplicity once) plus the extra hits of
    the particles hit more than once, summed per hit count. Exact integers."""
    several = found_rows[counts[found_rows] > 1]
    if len(several) == 0:
        return found
    per_count = _group_sums(weights, several, counts[several], int(counts.max()) + 1)[2:]
    # the particles hit k times (k = 2, 3, ...) add k - 1 hits each
    extra = np.arange(1, len(per_count) + 1, dtype=np.int64)[:, None] * per_count
    return found + extra.sum(axis=0)  # type: ignore[no-any-return]


def _class_member_sums(ground_truth: GroundTruth, resamples: int, seed: int) -> np.ndarray:
    """(classes + 1, resamples) particles of each class in each resample, int64 (cached)."""
    key = ("bootstrap member sums", resamples, seed)
    cached = ground_truth._cache.get(key)
    if isinstance(cached, np.ndarray):
        return cached
    weights = _particle_major_weights(ground_truth, resamples, seed)
    true = ground_truth.particles.classes[ground_truth.counted]
    size = len(ground_truth.class_names) + 1
    sums = _group_sums(weights, np.arange(len(true)), true, size)
    ground_truth._cache[key] = sums
    return sums


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
    low, high = percentile(defined, [tail, 100 - tail])
    return Interval(float(low), float(high))
