"""Paired bootstrap comparisons: is one entry's localization F1 distinguishably better?

The bootstrap resamples of a ground truth are drawn once from its seed and shared by every
submission (evaluation/metrics/bootstrap.py), so the F1 of two entries on resample *i* are
computed on the very same particles: their difference per resample is the paired bootstrap
distribution of the difference. Two entries are distinguishable when the lower end of its
95% interval lies above zero.

Rank groups: walking the ranking, an entry joins the group of the entry above it unless the
two are distinguishable ("tied with #1"); the Ladder rule (Blum & Hardt, 2015) uses the same
test to decide whether a new submission beats a participant's shown best.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.bootstrap import (
    CONFIDENCE,
    _group_sums,
    _particle_major_weights,
    f1_per_resample,
    hit_totals,
)
from evaluation.metrics.localization import localization
from evaluation.metrics.matching import match
from evaluation.quantiles import percentile
from evaluation.submission import Submission


def localization_f1_samples(
    ground_truth: GroundTruth, submission: Submission, *, resamples: int = 1000, seed: int = 0
) -> npt.NDArray[np.float64]:
    """(resamples,) the localization F1 of `submission` on each shared bootstrap resample
    (the values whose percentiles are the evaluator's F1 interval). A scoring that runs the
    bootstrap anyway gets the same values from `evaluation.scoring.score_with_f1_samples`."""
    hits = match(ground_truth, submission)
    located = localization(ground_truth, hits)
    # the cached (N, resamples) integer multiplicities of the found particles summed, as the
    # evaluator's bootstrap does: exact integers, no float copy of the weights per call
    weights = _particle_major_weights(ground_truth, resamples, seed)
    counts = hits.hit_count[ground_truth.counted]
    found_rows = np.flatnonzero(counts > 0)
    found = _group_sums(weights, found_rows, np.zeros(len(found_rows), np.int64), 1)[0]
    hit_total = hit_totals(weights, counts, found_rows, found)
    return f1_per_resample(found, hit_total, located, ground_truth.n_particles, dtype=np.float64)


def rounded(values: npt.NDArray[np.float64], digits: int = 6) -> list[float]:
    """`[round(v, digits) for v in values]`, the same floats, vectorised: the scaled value
    rounded to an integer and divided back is the float nearest that decimal, as Python's
    `round` gives it, unless the scaled value lies too near a tie (or is not finite) to
    trust its rounding; those few are rounded by Python."""
    scale = 10.0**digits
    scaled = np.asarray(values, dtype=np.float64) * scale
    with np.errstate(invalid="ignore"):
        # below 2**30 the product is off by less than 2**-23, far inside the margin
        doubtful = ~(np.abs(scaled - np.floor(scaled) - 0.5) > 1e-6)  # and NaN, infinities
        doubtful |= ~(np.abs(scaled) < 2.0**30)
    result: list[float] = (np.rint(scaled) / scale).tolist()
    for index in np.flatnonzero(doubtful).tolist():
        result[index] = round(float(values[index]), digits)
    return result


def distinguishable(
    better: Sequence[float] | npt.NDArray[np.float64],
    worse: Sequence[float] | npt.NDArray[np.float64],
    *,
    confidence: float = CONFIDENCE,
) -> bool:
    """Whether `better` beats `worse` beyond the paired bootstrap noise: the lower end of
    the `confidence` interval of the per-resample differences lies above zero.

    Raises:
        ValueError: if the two sample lists differ in length (not the same resamples).
    """
    first, second = np.asarray(better, dtype=np.float64), np.asarray(worse, dtype=np.float64)
    if first.shape != second.shape or first.ndim != 1 or len(first) == 0:
        raise ValueError("paired samples must be two lists of equal, non-zero length")
    tail = (1 - confidence) / 2 * 100
    low = float(percentile(first - second, [tail])[0])
    return low > 0


def rank_groups(samples: Sequence[Sequence[float] | npt.NDArray[np.float64] | None]) -> list[int]:
    """The rank group of each entry, given their F1 samples in rank order: the rank (1-based)
    of the first entry of its group. An entry without samples starts a group of its own."""
    groups: list[int] = []
    for index, current in enumerate(samples):
        above = samples[index - 1] if index else None
        tied = (
            index > 0
            and current is not None
            and above is not None
            and len(current) == len(above)
            and not distinguishable(above, current)
        )
        groups.append(groups[-1] if tied else index + 1)
    return groups


def ladder_improves(
    new_f1: float | None,
    shown_f1: float | None,
    *,
    threshold: float | None = None,
    new_samples: Sequence[float] | None = None,
    shown_samples: Sequence[float] | None = None,
) -> bool:
    """The Ladder rule (Blum & Hardt, ICML 2015): does a new submission replace the shown
    best? With a fixed `threshold`, when its F1 beats the shown F1 by more than it; without
    one, when the two are distinguishable by the paired bootstrap (the noise of the
    difference on the shared resamples), or by plain F1 where no samples exist.

    A participant who submits many variants learns nothing from those that do not beat their
    shown score by more than the noise, which bounds how far the public board can be
    overfitted by adaptive uploads.
    """
    if shown_f1 is None:
        return new_f1 is not None
    if new_f1 is None:
        return False
    if threshold is not None:
        return new_f1 > shown_f1 + threshold
    if (
        new_samples is not None
        and shown_samples is not None
        and len(new_samples)
        and len(new_samples) == len(shown_samples)
    ):
        return distinguishable(new_samples, shown_samples)
    return new_f1 > shown_f1
