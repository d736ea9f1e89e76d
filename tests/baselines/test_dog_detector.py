"""Difference-of-Gaussians detection on planted blobs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from baselines.dog.detector import dog_candidates, dog_response, scale_space


def test_scale_space_by_hand() -> None:
    # σ from 3/√3 up to the first value at or past 6/√3, ×1.2 each step
    sigmas = scale_space(3.0, 6.0, 1.2)
    expected = [math.sqrt(3) * 1.2**step for step in range(5)]
    assert sigmas == pytest.approx(expected)
    assert sigmas[-2] < 6 / math.sqrt(3) <= sigmas[-1]


def _balls(
    shape: tuple[int, int, int], centres: list[tuple[int, int, int]], radii: list[float]
) -> torch.Tensor:
    z, y, x = np.indices(shape)
    volume = np.zeros(shape, dtype=np.float32)
    for (cz, cy, cx), radius in zip(centres, radii, strict=True):
        volume[(z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 <= radius**2] = 1.0
    return torch.from_numpy(volume)


def test_dog_peaks_at_ball_centres_of_every_size() -> None:
    centres = [(12, 12, 12), (12, 30, 34), (30, 14, 30)]
    volume = _balls((44, 44, 44), centres, [2.5, 4.0, 7.0])
    noise = 0.2 * torch.randn(volume.shape, generator=torch.Generator().manual_seed(0))
    found, responses = dog_candidates(
        volume + noise, scale_space(2.5, 7.0, 1.2), 1.2, 10.0, 0.05, (0, 44)
    )
    assert len(found) == 3
    assert sorted(map(tuple, found.tolist())) == sorted(centres)
    assert np.all(responses > 0.05)


def test_dog_response_is_near_scale_invariant_and_signed() -> None:
    # a bright ball of each size answers with a similar peak; a dark one with none
    small = dog_response(_balls((40, 40, 40), [(20, 20, 20)], [3.0]), scale_space(3, 8, 1.2), 1.2)
    large = dog_response(_balls((40, 40, 40), [(20, 20, 20)], [8.0]), scale_space(3, 8, 1.2), 1.2)
    dark = dog_response(-_balls((40, 40, 40), [(20, 20, 20)], [5.0]), scale_space(3, 8, 1.2), 1.2)
    assert 0.5 < float(small[20, 20, 20]) / float(large[20, 20, 20]) < 2
    assert float(dark[20, 20, 20]) < 0
