"""Fourier tools: the Gaussian blur and the missing wedge, checked against scipy and the
simulator's own tilt operator."""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from baselines.fourier import gaussian_transfer, reflect_pad, wedge_mask
from simulation.tilt_operator import TiltOperator

CPU = torch.device("cpu")


def test_gaussian_transfer_blurs_like_scipy() -> None:
    volume = np.zeros((24, 20, 22), dtype=np.float32)
    volume[12, 10, 11] = 1.0
    volume[3, 15, 5] = -2.0
    blurred = torch.fft.irfftn(
        torch.fft.rfftn(torch.from_numpy(volume)) * gaussian_transfer(volume.shape, 1.5, CPU),
        s=volume.shape,
    )
    expected = ndimage.gaussian_filter(volume, 1.5, mode="wrap", truncate=8.0)
    np.testing.assert_allclose(blurred.numpy(), expected, atol=2e-4)


def test_wedge_keeps_directions_inside_the_tilt_range() -> None:
    shape = (16, 4, 16)
    mask = wedge_mask(shape, (-60.0, 60.0), CPU)
    # index (z, y, x) of the rfft layout; negative z frequencies wrap to the end
    assert mask[0, 0, 0] == 1  # the origin
    assert mask[0, 1, 3] == 1  # kz = 0: sampled by the untilted image
    assert mask[1, 2, 1] == 1  # 45°
    assert mask[-1, 0, 1] == 1  # -45°
    assert mask[2, 0, 1] == 0  # atan(2) = 63.4°: missing
    assert mask[3, 3, 0] == 0  # kx = 0, the wedge's axis
    asymmetric = wedge_mask(shape, (-20.0, 50.0), CPU)
    assert asymmetric[1, 0, 1] == 1  # +45°
    assert asymmetric[-1, 0, 1] == 0  # -45°


def test_wedge_matches_what_the_simulator_measures() -> None:
    # project and back-project noise with the simulator's operator over an asymmetric range:
    # the power must sit inside our wedge, not inside its mirror image
    shape = (40, 6, 40)
    tilt_range = (-20.0, 50.0)
    operator = TiltOperator(shape, np.arange(tilt_range[0], tilt_range[1] + 0.5, 1.0))
    noise = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    power = np.abs(np.fft.rfftn(operator.back_project(operator.project(noise)))) ** 2

    def leak(sampled: np.ndarray) -> float:
        return float(power[~sampled].mean() / power[sampled].mean())

    ours = wedge_mask(shape, tilt_range, CPU).numpy() > 0
    mirrored = wedge_mask(shape, (-tilt_range[1], -tilt_range[0]), CPU).numpy() > 0
    assert leak(ours) < 0.1
    assert leak(mirrored) > 3 * leak(ours)


def test_reflect_pad_mirrors_without_repeating_the_edge() -> None:
    volume = torch.arange(27, dtype=torch.float32).reshape(3, 3, 3)
    padded = reflect_pad(volume, 1)
    assert padded.shape == (5, 5, 5)
    assert torch.equal(padded[1:-1, 1:-1, 1:-1], volume)
    assert padded[0, 1, 1] == volume[1, 0, 0]
    assert reflect_pad(volume, 9).shape == (7, 7, 7)  # capped at side - 1
