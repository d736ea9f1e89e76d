"""Peak picking: box maxima, local maxima and greedy suppression, against hand-made volumes."""

from __future__ import annotations

import numpy as np
import torch

from baselines.peaks import box_maximum, local_maxima, suppress_close


def test_box_maximum_equals_a_3d_max_pool() -> None:
    volume = torch.randn(13, 17, 11, generator=torch.Generator().manual_seed(0))
    for radius in (1, 2, 4):
        expected = torch.nn.functional.max_pool3d(
            volume[None, None], 2 * radius + 1, stride=1, padding=radius
        )[0, 0]
        assert torch.equal(box_maximum(volume, radius), expected)


def test_local_maxima_finds_planted_peaks_best_first() -> None:
    volume = torch.zeros(20, 20, 20)
    volume[5, 6, 7] = 3.0
    volume[14, 12, 3] = 5.0
    volume[14, 13, 3] = 1.0  # a shoulder of the 5.0 peak: not a maximum
    coordinates, values = local_maxima(volume, radius=2, threshold=0.5)
    assert coordinates.tolist() == [[14, 12, 3], [5, 6, 7]]
    assert values.tolist() == [5.0, 3.0]


def test_local_maxima_respects_threshold_and_z_range() -> None:
    volume = torch.zeros(20, 8, 8)
    volume[2, 4, 4] = 2.0
    volume[10, 4, 4] = 2.0
    volume[15, 4, 4] = 0.4
    coordinates, _ = local_maxima(volume, radius=1, threshold=0.5, z_range=(5, 20))
    assert coordinates.tolist() == [[10, 4, 4]]


def test_suppress_close_is_greedy_by_score() -> None:
    # along x: 0 (score 3), 5 (2), 9 (1). With 6 voxels, 5 falls to 0; 9 survives because
    # the only peak near it (5) was itself suppressed.
    coordinates = np.array([[0, 0, 9], [0, 0, 0], [0, 0, 5]], dtype=float)
    scores = np.array([1.0, 3.0, 2.0])
    assert suppress_close(coordinates, scores, 6.0).tolist() == [1, 0]
    # a distance exactly equal to the radius does not suppress
    assert suppress_close(coordinates, scores, 5.0).tolist() == [1, 2]


def test_suppress_close_uses_the_larger_radius_of_each_pair() -> None:
    coordinates = np.array([[0, 0, 0], [0, 0, 4], [0, 0, 20]], dtype=float)
    scores = np.array([2.0, 1.0, 0.5])
    # 4 apart: suppressed when either peak's radius exceeds 4
    assert suppress_close(coordinates, scores, np.array([3.0, 3.0, 1.0])).tolist() == [0, 1, 2]
    assert suppress_close(coordinates, scores, np.array([5.0, 1.0, 1.0])).tolist() == [0, 2]
    assert suppress_close(coordinates, scores, np.array([1.0, 5.0, 1.0])).tolist() == [0, 2]
    assert suppress_close(np.zeros((0, 3)), np.zeros(0), 4.0).tolist() == []
