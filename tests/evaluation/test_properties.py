"""Property tests: the vectorised evaluator against the plain loop, and its identities."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import CLASSES, GroundTruth, Submission, score
from evaluation.ground_truth import Particles
from evaluation.metrics.localization import harmonic_f1
from evaluation.reference import reference_scores


@dataclass(frozen=True)
class Case:
    truth: GroundTruth
    submission: Submission


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A random small hitbox with random labels, and predictions on and around it (half-
    integer coordinates exercise rounding, some lie outside and get clamped)."""
    shape = (draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 6)))
    n = draw(st.integers(1, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hitbox = rng.integers(0, n + 1, size=shape).astype(np.int16)
    classes = rng.integers(1, 13, size=n)
    centres = rng.uniform(0, 1, size=(n, 3)) * (np.array(shape[::-1]) - 1)
    angles = rng.uniform(-180, 180, size=(n, 3))
    truth = GroundTruth(
        profile="native",
        class_names=CLASSES,
        particles=Particles(classes, centres, angles, "zxz"),
        hitbox=hitbox,
        scored=np.ones(n, dtype=bool),
    )
    count = draw(st.integers(1, 25))
    doubled = rng.integers(-4, 2 * max(shape) + 4, size=(count, 3))
    submission = Submission(
        classes=rng.integers(1, 13, size=count),
        coords=doubled / 2.0,
        angles=rng.uniform(-180, 180, size=(count, 3)),
        scores=rng.integers(0, 5, size=count) / 4.0,  # ties are likely
        line_numbers=np.arange(1, count + 1),
    )
    return Case(truth, submission)


def subset(submission: Submission, rows: np.ndarray) -> Submission:
    assert submission.angles is not None
    assert submission.scores is not None
    return Submission(
        classes=submission.classes[rows],
        coords=submission.coords[rows],
        angles=submission.angles[rows],
        scores=submission.scores[rows],
        line_numbers=submission.line_numbers[rows],
    )


@given(cases())
@settings(max_examples=150, deadline=None)
def test_matches_the_plain_loop(case: Case) -> None:
    result = score(case.truth, case.submission, bootstrap=0)
    loop = reference_scores(case.truth, case.submission)
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.FN, loc.MH, loc.RO, loc.ignored) == (
        loop.RR,
        loop.TP,
        loop.FP,
        loop.FN,
        loop.MH,
        loop.RO,
        loop.ignored,
    )
    assert loc.AD_all == pytest.approx(loop.AD_all)
    assert loc.AD_first == pytest.approx(loop.AD_first)
    # the confusion matrix is that of the loop's first-hit classes ("none" last)
    expected = np.zeros((13, 13), dtype=int)
    for true, predicted in zip(case.truth.particles.classes, loop.predicted, strict=True):
        expected[true - 1, predicted - 1 if predicted else 12] += 1
    assert result.classification.matrix.tolist() == expected.tolist()
    assert {n: s.f1 for n, s in result.classification.per_class.items()} == loop.class_f1
    assert result.size_groups == loop.size_groups


@given(cases())
@settings(max_examples=150, deadline=None)
def test_identities_and_bounds(case: Case) -> None:
    result = score(case.truth, case.submission, bootstrap=0)
    loc = result.localization
    surplus = int(
        sum(max(count - 1, 0) for count in np.bincount(_hit_particles(case), minlength=loc.N))
    )
    predictions = loc.RR
    assert predictions == loc.FP + loc.TP + surplus + loc.ignored
    assert loc.TP + loc.FN == loc.N
    assert loc.MH <= loc.TP
    for value in (loc.recall, loc.precision, loc.miss_rate, loc.f1):
        assert 0.0 <= value <= 1.0
    assert loc.f1 == harmonic_f1(loc.precision, loc.recall)
    assert loc.f1 == pytest.approx(2 * loc.TP / (loc.RR + loc.N))  # the same, from counts
    assert loc.miss_rate == pytest.approx(1 - loc.recall)
    assert result.classification.matrix.sum() == loc.N
    assert sum(s.tp for s in result.classification.per_class.values()) <= loc.TP
    strict = result.strict_classification.per_class.values()
    assert sum(s.tp + s.fp for s in strict) == loc.RR - loc.ignored
    json.dumps(result.to_dict(), allow_nan=False)  # never NaN or infinity


def _hit_particles(case: Case) -> np.ndarray:
    voxels = np.clip(np.rint(case.submission.coords), 0, np.array(case.truth.shape[::-1]) - 1)
    x, y, z = voxels.astype(int).T
    labels = case.truth.hitbox[z, y, x].astype(int)
    return labels[labels > 0] - 1


@given(cases(), st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_order_of_predictions_on_distinct_particles_does_not_matter(
    case: Case, shuffler: random.Random
) -> None:
    # keep background picks and the first hit of each particle: no particle is hit twice
    particles = _lookup(case)
    seen: set[int] = set()
    keep = []
    for row, particle in enumerate(particles):
        if particle < 0 or particle not in seen:
            keep.append(row)
            seen.add(int(particle))
    rows = np.array(keep)
    shuffled = rows.copy()
    shuffler.shuffle(shuffled)
    first = score(case.truth, subset(case.submission, rows), bootstrap=50).to_dict()
    second = score(case.truth, subset(case.submission, shuffled), bootstrap=50).to_dict()
    assert _same(first, second)


def _same(first: object, second: object) -> bool:
    if isinstance(first, dict) and isinstance(second, dict):
        assert first.keys() == second.keys()
        return all(_same(first[k], second[k]) for k in first)
    if isinstance(first, list) and isinstance(second, list):
        assert len(first) == len(second)
        return all(_same(a, b) for a, b in zip(first, second, strict=True))
    if isinstance(first, float) and isinstance(second, float):
        assert first == pytest.approx(second)
        return True
    assert first == second
    return True


def _lookup(case: Case) -> np.ndarray:
    voxels = np.clip(np.rint(case.submission.coords), 0, np.array(case.truth.shape[::-1]) - 1)
    x, y, z = voxels.astype(int).T
    return case.truth.hitbox[z, y, x].astype(int) - 1


@given(cases())
@settings(max_examples=80, deadline=None)
def test_each_ranking_point_is_the_localization_of_the_cut_file(case: Case) -> None:
    result = score(case.truth, case.submission, bootstrap=0)
    assert result.ranking is not None
    curve = result.ranking.localization
    assert case.submission.scores is not None
    for threshold, precision, recall in zip(
        curve.thresholds, curve.precision, curve.recall, strict=True
    ):
        rows = np.flatnonzero(case.submission.scores >= threshold)
        cut = score(case.truth, subset(case.submission, rows), bootstrap=0).localization
        assert (precision, recall) == pytest.approx((cut.precision, cut.recall))
    assert curve.recall.tolist() == sorted(curve.recall.tolist())  # never decreases


@given(st.floats(0, 1), st.floats(0, 1))
def test_f1_is_symmetric_in_precision_and_recall(precision: float, recall: float) -> None:
    assert harmonic_f1(precision, recall) == harmonic_f1(recall, precision)
    f1 = harmonic_f1(precision, recall)
    assert min(precision, recall) - 1e-12 <= f1 <= max(precision, recall) + 1e-12
