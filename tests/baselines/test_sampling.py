"""Class-balanced choices and background positions."""

from __future__ import annotations

import numpy as np
import pytest

from baselines.sampling import background_positions, balanced_choice


def test_balanced_choice_evens_out_rare_classes() -> None:
    # 900 examples of class 1, 10 of class 2, 90 background
    labels = np.array([1] * 900 + [2] * 10 + [0] * 90)
    chosen = balanced_choice(labels, 20000, 0.2, np.random.default_rng(0))
    drawn = np.bincount(labels[chosen], minlength=3) / len(chosen)
    assert drawn == pytest.approx([0.2, 0.4, 0.4], abs=0.015)
    assert set(np.unique(chosen[labels[chosen] == 2])) == set(range(900, 910))


def test_balanced_choice_with_one_kind_only() -> None:
    rng = np.random.default_rng(1)
    assert set(balanced_choice(np.zeros(5, int), 50, 0.2, rng)) <= set(range(5))
    assert np.all(np.array([3, 3, 4])[balanced_choice(np.array([3, 3, 4]), 50, 0.9, rng)] > 0)
    with pytest.raises(ValueError, match="no examples"):
        balanced_choice(np.zeros(0, int), 5, 0.2, rng)


def test_background_positions_avoid_particles_and_stay_in_the_slab() -> None:
    occupancy = np.zeros((30, 10, 10), dtype=np.int32)
    occupancy[12:18, 2:8, 2:8] = 1
    points = background_positions(occupancy, (10, 20), 500, np.random.default_rng(2))
    assert 300 < len(points) <= 500
    assert np.all((points[:, 0] >= 10) & (points[:, 0] < 20))
    assert np.all(occupancy[points[:, 0], points[:, 1], points[:, 2]] == 0)
