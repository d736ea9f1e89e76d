"""FLCC: local statistics by brute force, and a planted rotated template found where it was."""

from __future__ import annotations

import numpy as np
import torch

from baselines.template.matching import (
    SearchVolume,
    match_template,
    spherical_mask,
    support_radius,
)
from baselines.template.rotations import rotate_volumes, rotation_matrices, rotation_set

CPU = torch.device("cpu")


def _asymmetric_template(side: int = 11) -> torch.Tensor:
    """An L-shaped blob: no rotation but the identity maps it onto itself."""
    template = torch.zeros(side, side, side)
    centre = side // 2
    template[centre - 1 : centre + 2, centre - 1 : centre + 2, centre - 3 : centre + 4] = 1.0
    template[centre - 1 : centre + 2, centre + 1 : centre + 4, centre + 1 : centre + 4] = 1.0
    template[centre + 1 : centre + 3, centre - 1 : centre + 2, centre - 3 : centre] = 1.0
    return template


def test_local_deviation_equals_the_standard_deviation_under_the_mask() -> None:
    volume = torch.randn(20, 18, 16, generator=torch.Generator().manual_seed(1))
    mask = spherical_mask(7, 3.0, CPU)
    deviation = SearchVolume.of(volume).local_deviation(mask)
    # value at voxel x describes the mask centred at x + 3 (corner placement)
    corner = (5, 6, 4)
    inside = volume[5:12, 6:13, 4:11][mask > 0]
    assert torch.isclose(deviation[corner], inside.std(unbiased=False), rtol=1e-3)


def test_support_radius_reaches_the_farthest_strong_voxel() -> None:
    template = torch.zeros(11, 11, 11)
    template[5, 5, 5] = 1.0
    template[5, 5, 9] = 0.5  # 4 voxels out
    template[5, 0, 5] = 0.01  # below the fraction
    assert support_radius(template, 0.1) == 5.0


def test_planted_template_is_found_at_its_centre_and_rotation() -> None:
    template = _asymmetric_template()
    angles = rotation_set(90.0)
    planted = 13
    rotated = rotate_volumes(template, torch.from_numpy(rotation_matrices(angles[[planted]])))[0]
    volume = 0.3 * torch.randn(40, 36, 32, generator=torch.Generator().manual_seed(2))
    centre = (21, 15, 12)
    volume[16:27, 10:21, 7:18] += rotated
    mask = spherical_mask(11, support_radius(template, 0.1), CPU)
    no_filter = torch.ones(11, 11, 6)
    score, rotation = match_template(
        SearchVolume.of(volume), template, mask, angles, no_filter, batch_size=5
    )
    peak = np.unravel_index(int(score.argmax()), score.shape)
    assert tuple(int(i) for i in peak) == centre
    assert int(rotation[centre]) == planted
    # scores read in standard deviations of each rotation's map: the match stands far out
    assert float(score[centre]) > 8
