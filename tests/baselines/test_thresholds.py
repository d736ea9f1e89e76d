"""Hit look-up and the F1-optimal threshold, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.thresholds import ScoredPicks, best_f1_threshold, hit_labels


def test_hit_labels_round_half_to_even_and_clamp() -> None:
    occupancy = np.zeros((4, 4, 4), dtype=np.int32)
    occupancy[2, 1, 0] = 7
    occupancy[0, 3, 3] = 9
    coordinates = np.array(
        [
            [2.5, 0.6, -0.4],  # rounds to (2, 1, 0)
            [-3.0, 8.0, 3.4],  # clamps to (0, 3, 3)
            [1.5, 1.0, 0.0],  # rounds to (2, 1, 0): half to even
            [0.5, 1.0, 0.0],  # rounds to (0, 1, 0): background
        ]
    )
    assert hit_labels(occupancy, coordinates).tolist() == [7, 9, 7, 0]


def test_best_threshold_by_hand() -> None:
    # scores 0.9 hit 1, 0.8 background, 0.7 hit 1 again, 0.6 hit 2; N = 3.
    # cut after k picks: F1 = 2·TP/(k + 3) = 2/4, 2/5, 2/6, 4/7 -> keep all four.
    picks = ScoredPicks(np.array([0.8, 0.6, 0.9, 0.7]), np.array([0, 2, 1, 1]), particles=3)
    threshold, f1 = best_f1_threshold([picks])
    assert threshold == 0.6
    assert f1 == pytest.approx(4 / 7)


def test_best_threshold_cuts_only_between_distinct_scores() -> None:
    # two picks tie at 0.5: one hits, one misses; they stand or fall together.
    # cut at 0.9: 2·1/(1+2) = 2/3; at 0.5: 2·2/(3+2) = 0.8
    picks = ScoredPicks(np.array([0.9, 0.5, 0.5]), np.array([1, 0, 2]), particles=2)
    assert best_f1_threshold([picks]) == (0.5, pytest.approx(0.8))


def test_best_threshold_pools_tomograms_with_their_own_labels() -> None:
    # label 1 in each tomogram is a different particle: both count. N = 2 + 2.
    # pooled order 0.9 (A1), 0.8 (B1), 0.3 (B0): F1 = 2/5, 4/6, 4/7
    first = ScoredPicks(np.array([0.9]), np.array([1]), particles=2)
    second = ScoredPicks(np.array([0.8, 0.3]), np.array([1, 0]), particles=2)
    assert best_f1_threshold([first, second]) == (0.8, pytest.approx(4 / 6))


def test_no_hit_keeps_nothing() -> None:
    picks = ScoredPicks(np.array([0.4, 0.2]), np.array([0, 0]), particles=5)
    assert best_f1_threshold([picks]) == (float("inf"), 0.0)
    assert best_f1_threshold([]) == (float("inf"), 0.0)
