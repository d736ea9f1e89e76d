"""Box cutting and flips: contents by index arithmetic."""

from __future__ import annotations

import numpy as np
import torch

from baselines.boxes import BoxCutter, flip_randomly


def test_box_is_centred_on_the_voxel_and_filled_outside() -> None:
    volume = torch.arange(10 * 10 * 10, dtype=torch.float32).reshape(10, 10, 10) + 1
    cutter = BoxCutter(volume, 4, fill=-1.0)
    boxes = cutter.cut(np.array([[5, 5, 5], [0, 9, 2]]))
    assert boxes.shape == (2, 4, 4, 4)
    # the box around c spans [c - 2, c + 2): its voxel (2, 2, 2) is c
    assert boxes[0, 2, 2, 2] == volume[5, 5, 5]
    assert torch.equal(boxes[0], volume[3:7, 3:7, 3:7])
    assert boxes[1, 2, 2, 2] == volume[0, 9, 2]
    assert torch.all(boxes[1, :2] == -1.0)  # z below 0
    assert torch.all(boxes[1, :, 3, :] == -1.0)  # y beyond 9
    assert torch.equal(boxes[1, 2:, :3, :], volume[0:2, 7:10, 0:4])


def test_centres_outside_are_clipped_into_the_volume() -> None:
    volume = torch.ones(6, 6, 6)
    boxes = BoxCutter(volume, 3).cut(np.array([[-5, 2, 40]]))
    assert boxes[0, 1, 1, 1] == 1.0  # centred on (0, 2, 5)
    assert BoxCutter(volume, 3).cut(np.zeros((0, 3), dtype=int)).shape == (0, 3, 3, 3)


def test_flips_are_the_same_in_every_tensor_and_vary_per_sample() -> None:
    images = torch.randn(32, 5, 6, 7, generator=torch.Generator().manual_seed(0))
    labels = images.clone()
    flipped_images, flipped_labels = flip_randomly((images, labels), np.random.default_rng(4))
    assert torch.equal(flipped_images, flipped_labels)
    changed = [not torch.equal(a, b) for a, b in zip(flipped_images, images, strict=True)]
    assert 20 < sum(changed) < 32  # each sample is left alone with probability 1/8
    for original, result in zip(images, flipped_images, strict=True):
        assert any(
            torch.equal(torch.flip(original, axes), result)
            if axes
            else torch.equal(original, result)
            for axes in ([], [0], [1], [2], [0, 1], [0, 2], [1, 2], [0, 1, 2])
        )
