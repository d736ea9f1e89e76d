"""Paired bootstrap comparisons: the per-resample F1 reproduces the evaluator's interval, and
the distinguishability test, rank groups and the Ladder rule on hand-made samples."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from evaluation import load_ground_truth, parse_submission, score
from evaluation.metrics.bootstrap import resample_weights
from evaluation.paired import (
    distinguishable,
    ladder_improves,
    localization_f1_samples,
    rank_groups,
    rounded,
)
from evaluation.scoring import score_tomograms, score_with_f1_samples, stack_tomograms
from tests.evaluation.helpers import memory_truth, picks

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "evaluation" / "examples"
RNG = np.random.default_rng(3)
NOISE = RNG.normal(0, 0.01, size=1000)


def test_the_samples_are_those_of_the_evaluators_interval() -> None:
    truth = load_ground_truth(EXAMPLES_DIR / "tiny")
    picks = parse_submission((EXAMPLES_DIR / "tiny_submission.txt").read_bytes())
    interval = score(truth, picks).to_dict()["bootstrap"]["localization_f1"]
    samples = localization_f1_samples(truth, picks)
    assert samples.shape == (1000,)
    low, high = np.percentile(samples, [2.5, 97.5])
    assert low == pytest.approx(interval["low"], abs=1e-6)
    assert high == pytest.approx(interval["high"], abs=1e-6)
    # the same resamples for every submission: a file against itself differs by nothing
    assert not distinguishable(samples, localization_f1_samples(truth, picks))


def test_the_samples_match_a_plain_loop_over_resamples() -> None:
    """Each resample's F1 by definition (its particles with repeats), to the last bit."""
    rng = np.random.default_rng(5)
    classes = ["1s3x", "3qm1", "3gl1", "1bxn", "4d8q"]
    lines = [f"{classes[k % 5]} {2 * k + 1} 1 1" for k in range(20)]
    hitbox = np.zeros((3, 3, 42), dtype=np.int16)
    hitbox[1, 1, 1:41:2] = np.arange(1, 21)
    truth = memory_truth(lines, (3, 3, 42), hitbox)
    # repeated hits on some particles, none on others, and three background picks
    guesses = [f"{classes[rng.integers(5)]} {2 * rng.integers(12) + 1} 1 1" for _ in range(30)]
    submission = picks(*guesses, "1bxn 0 0 0", "1bxn 2 1 1", "3qm1 4 1 1")
    hits = np.zeros(20)
    for x in submission.coords[:, 0]:
        if x % 2 == 1:
            hits[int(x) // 2] += 1
    expected = []
    for row in resample_weights(truth, 300, 9):
        sample = [k for k in range(20) for _ in range(int(row[k]))]
        found = sum(1 for k in sample if hits[k] > 0)
        predictions = 3 + sum(hits[k] for k in sample)
        expected.append(2 * found / (predictions + 20))
    samples = localization_f1_samples(truth, submission, resamples=300, seed=9)
    assert samples.tolist() == expected
    # no hit at all: every resample's F1 is zero
    assert not localization_f1_samples(truth, picks("1bxn 0 0 0"), resamples=300, seed=9).any()


def test_a_scoring_gives_the_samples_computed_on_their_own() -> None:
    """The samples a scoring takes from its bootstrap's sums are those computed apart, to
    the bit, and its result is the plain one: on one ground truth and on a stack of two."""
    truth = load_ground_truth(EXAMPLES_DIR / "tiny")
    submission = parse_submission((EXAMPLES_DIR / "tiny_submission.txt").read_bytes())
    result, samples = score_with_f1_samples(truth, submission, bootstrap=300, seed=4)
    assert result.to_dict() == score(truth, submission, bootstrap=300, seed=4).to_dict()
    alone = localization_f1_samples(truth, submission, resamples=300, seed=4)
    assert samples is not None
    assert samples.tolist() == alone.tolist()
    assert score_with_f1_samples(truth, submission, bootstrap=0)[1] is None
    assert "sums" not in result.to_dict()["bootstrap"]  # working data, not the document's

    hidden = stack_tomograms({"a": truth, "b": truth})
    names = np.where(np.arange(len(submission)) % 3 == 0, "a", "b").astype(np.str_)
    both = dataclasses.replace(submission, tomograms=names)
    result, samples = score_with_f1_samples(hidden, both, bootstrap=300, seed=4)
    assert result.to_dict() == score_tomograms(hidden, both, bootstrap=300, seed=4).to_dict()
    placed, _ = hidden.place(both)
    alone = localization_f1_samples(hidden.whole, placed, resamples=300, seed=4)
    assert samples is not None
    assert samples.tolist() == alone.tolist()
    assert 0 < samples.min() < samples.max()  # a spread of values, not one repeated


def test_rounded_gives_pythons_round_to_the_bit() -> None:
    rng = np.random.default_rng(8)
    found, total = rng.integers(0, 3000, 20000), rng.integers(1, 9000, 20000)
    ties = np.arange(0, 10**6, 997) / 1e6 + 5e-7  # the decimal half-way cases
    special = [0.0, -0.0, 1.0, -0.1234565, 2.5e-7, 0.9999995, 1e12 + 0.1234565, np.inf, np.nan]
    for values in (2 * found / (found + total), ties, np.asarray(special), rng.random(5000)):
        expected = [round(float(v), 6) for v in values]
        got = rounded(values)
        assert [str(v) for v in got] == [str(v) for v in expected]  # NaN, -0.0 included


def test_distinguishable_needs_the_whole_interval_above_zero() -> None:
    base = 0.6 + NOISE
    assert distinguishable(base + 0.05, base)  # a shift far beyond the paired noise
    assert not distinguishable(base, base + 0.05)  # the other way round
    assert not distinguishable(base, base)
    # paired: a common noise cancels, however large, where unpaired intervals would overlap
    common = RNG.normal(0, 0.2, size=1000)
    assert distinguishable(0.61 + common, 0.60 + common)
    # a difference that is as often negative as positive is noise
    assert not distinguishable(base + RNG.normal(0, 0.02, size=1000), base)
    with pytest.raises(ValueError, match="equal"):
        distinguishable([0.1, 0.2], [0.1])


def test_rank_groups_follow_adjacent_pairs() -> None:
    first = 0.8 + NOISE
    tied = first - 0.0001 + RNG.normal(0, 0.01, size=1000)
    far = 0.3 + NOISE
    also_far = far.copy()
    assert rank_groups([first, tied, far, also_far]) == [1, 1, 3, 3]
    assert rank_groups([first, None, far]) == [1, 2, 3]  # no samples: a group of its own
    assert rank_groups([]) == []


def test_the_ladder_moves_only_past_the_threshold() -> None:
    assert ladder_improves(0.5, None)  # the first submission is always shown
    assert not ladder_improves(None, 0.5)
    assert not ladder_improves(0.53, 0.50, threshold=0.05)
    assert ladder_improves(0.56, 0.50, threshold=0.05)
    assert not ladder_improves(0.55, 0.50, threshold=0.05)  # more than, not as much as
    shown = 0.5 + NOISE
    assert not ladder_improves(
        0.5001, 0.5, new_samples=list(shown + 0.0001), shown_samples=list(shown + NOISE)
    )
    assert ladder_improves(0.6, 0.5, new_samples=list(shown + 0.1), shown_samples=list(shown))
    assert ladder_improves(0.6, 0.5)  # no samples: plain F1
