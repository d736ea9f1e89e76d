"""Paired bootstrap comparisons: the per-resample F1 reproduces the evaluator's interval, and
the distinguishability test, rank groups and the Ladder rule on hand-made samples."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation import load_ground_truth, parse_submission, score
from evaluation.paired import (
    distinguishable,
    ladder_improves,
    localization_f1_samples,
    rank_groups,
)

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
