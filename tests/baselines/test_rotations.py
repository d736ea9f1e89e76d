"""Rotation sets and template rotation, against scipy and the simulator's own convention."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from baselines.template.rotations import rotate_volumes, rotation_matrices, rotation_set
from simulation import load_template
from simulation.orientation import rotate_volume


def test_rotation_set_at_90_degrees_by_hand() -> None:
    # THETA 0, 90, 180 carry 1, 4 and 1 directions; PSI takes 4 values: 6 × 4 = 24
    angles = rotation_set(90.0)
    assert angles.shape == (24, 3)
    assert sorted({theta for _, theta, _ in angles}) == [0.0, 90.0, 180.0]
    assert sorted({psi for _, _, psi in angles}) == [0.0, 90.0, 180.0, 270.0]


def test_rotation_set_covers_orientations_within_the_step() -> None:
    step = 30.0
    grid = rotation_matrices(rotation_set(step))
    probes = rotation_matrices(np.random.default_rng(3).uniform(0, 360, size=(200, 3)))
    # geodesic distance from each random rotation to its nearest grid rotation
    traces = np.einsum("pij,gij->pg", probes, grid)
    nearest = np.degrees(np.arccos(np.clip((traces.max(axis=1) - 1) / 2, -1, 1)))
    assert nearest.max() < step
    with pytest.raises(ValueError, match="angular step"):
        rotation_set(0.0)


def test_rotated_templates_match_the_simulators_rotation() -> None:
    template = np.array(load_template("3cf3"), dtype=np.float32)  # asymmetric enough
    angles = np.array([[30.0, 70.0, -110.0], [200.0, 15.0, 45.0]])
    ours = rotate_volumes(torch.from_numpy(template), torch.from_numpy(rotation_matrices(angles)))
    for rotated, (phi, theta, psi) in zip(ours.numpy(), angles, strict=True):
        expected = rotate_volume(template, (phi, theta, psi))
        assert np.corrcoef(rotated.ravel(), expected.ravel())[0, 1] > 0.999
