"""Lipid vesicles: a bilayer's two leaflets 4 nm apart around a core below water, shells that
no particle touches, and nothing of them in the ground truth."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage
from scipy.signal import find_peaks

from evaluation.classes import CLASSES
from simulation import SimulationParameters, simulate_tomogram
from tests.simulation.helpers import read_locations, read_volume

# noise-free water, so the membrane's own profile shows along each ray
LONE = SimulationParameters(
    size=96, slab=90, particles=0, tomograms=1, seed=3, vesicles=1, water_noise=0.0, tilt_step=6
)


def _shell(metadata: dict[str, object], shape: tuple[int, ...], within_nm: float) -> np.ndarray:
    """Voxels (volume coordinates) within about `within_nm` of a recorded vesicle's surface,
    from its recorded centre, semi-axes and rotation: |ρ - 1| · (largest semi-axis) ≤ within,
    ρ the normalized ellipsoid radius (a subset of the voxels truly that close)."""
    shell = np.zeros(shape, dtype=bool)
    z, y, x = np.indices(shape)
    for vesicle in metadata["vesicles"]:  # type: ignore[attr-defined]
        cx, cy, cz = vesicle["centre_xyz"]
        offsets = np.stack([z - cz, y - cy, x - cx]).reshape(3, -1).astype(float)
        local = np.array(vesicle["rotation_zyx"]) @ offsets
        axes = np.array(vesicle["semi_axes_nm"])[:, None]
        rho = np.sqrt(((local / axes) ** 2).sum(axis=0)).reshape(shape)
        shell |= np.abs(rho - 1) * axes.max() <= within_nm
    return shell


def test_a_vesicle_has_two_leaflets_4_nm_apart_around_a_core_below_water(
    tmp_path: Path,
) -> None:
    metadata = simulate_tomogram(tmp_path, LONE)
    (vesicle,) = metadata["vesicles"]
    grandmodel = read_volume(tmp_path / "grandmodel.mrc")
    water = metadata["water_potential_volts"]
    centre = np.array(vesicle["centre_xyz"][::-1], dtype=float)  # z y x
    radius = np.arange(3.0, 60.0, 0.1)
    spacings, troughs = [], []
    for direction in np.random.default_rng(0).normal(size=(300, 3)):
        direction /= np.linalg.norm(direction)
        points = centre[:, None] + direction[:, None] * radius
        if points.min() < 0 or (points.max(axis=1) > np.array(grandmodel.shape) - 1).any():
            continue
        profile = ndimage.map_coordinates(grandmodel, points, order=1) - water
        peaks, _ = find_peaks(profile, height=0.3)
        if len(peaks) == 2:  # the ray crossed the membrane once, inside the volume
            spacings.append(radius[peaks[1]] - radius[peaks[0]])
            troughs.append(profile[peaks[0] : peaks[1]].min())
    assert len(spacings) > 50
    # rays cross the near-spherical shell almost square on: the leaflets' spacing shows
    assert np.median(spacings) == pytest.approx(4.0, abs=0.4)
    assert np.median(troughs) < -0.2  # the hydrocarbon core is less dense than water
    # the lumen is plain water again
    assert grandmodel[tuple(centre.astype(int))] == pytest.approx(water, abs=1e-3)


def test_vesicles_keep_out_of_the_ground_truth_and_particles_out_of_them(
    tmp_path: Path,
) -> None:
    params = SimulationParameters(
        size=128, slab=90, particles=120, tomograms=1, seed=7, vesicles=2, tilt_step=6
    )
    metadata = simulate_tomogram(tmp_path, params)
    assert len(metadata["vesicles"]) == 2
    occupancy = read_volume(tmp_path / "occupancy_mask.mrc")
    classes = read_volume(tmp_path / "class_mask.mrc")
    shell = _shell(metadata, occupancy.shape, within_nm=3.0)
    assert shell.sum() > 20_000  # two membranes of several thousand nm² each
    assert not occupancy[shell].any()
    assert not classes[shell].any()
    # every particle was placed, all of them of the 12 classes; the membranes are listed only
    # in the metadata
    rows = read_locations(tmp_path / "particle_locations.txt")
    assert len(rows) == 120
    assert {name for name, _, _ in rows} <= set(CLASSES)
    assert (
        json.loads((tmp_path / "metadata.json").read_text())["vesicles"] == (metadata["vesicles"])
    )
    # the particles are crowded enough that, placed blindly, some would cross a membrane
    occupied = occupancy > 0
    assert occupied.mean() * shell.sum() > 1000


def test_no_vesicles_leave_the_records_unchanged() -> None:
    assert "vesicles" not in SimulationParameters().to_dict()
    assert SimulationParameters(vesicles=3).to_dict()["vesicles"] == 3
    with pytest.raises(ValueError, match="vesicles must be a non-negative count, got -1"):
        SimulationParameters(vesicles=-1)
