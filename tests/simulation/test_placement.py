"""Placement: no shared voxels, labels that match the list, and a clear error when full."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.classes import CLASSES
from simulation import PlacementError, load_template
from simulation.orientation import rotate_volume
from simulation.placement import Particle, SampleVolumes, place_particles
from simulation.templates import footprint

TEMPLATES = {name: load_template(name) for name in CLASSES}


def _volumes(shape: tuple[int, int, int]) -> SampleVolumes:
    return SampleVolumes(
        np.zeros(shape, dtype=np.float32),
        np.zeros(shape, dtype=np.uint16),
        np.zeros(shape, dtype=np.int8),
    )


@pytest.fixture(scope="module")
def placed() -> tuple[list[Particle], SampleVolumes]:
    rng = np.random.default_rng(11)
    classes = [CLASSES[i] for i in rng.integers(0, 12, size=60)]
    volumes = _volumes((44, 96, 96))
    return place_particles(classes, TEMPLATES, volumes, rng, attempts=200), volumes


def test_every_particle_owns_its_whole_footprint(
    placed: tuple[list[Particle], SampleVolumes],
) -> None:
    particles, volumes = placed
    owned_counts = np.bincount(volumes.occupancy.ravel(), minlength=len(particles) + 1)
    for label, particle in enumerate(particles, start=1):
        rotated = rotate_volume(TEMPLATES[particle.class_name], particle.angles)
        expected = footprint(rotated)
        expected[tuple(np.array(rotated.shape) // 2)] = True
        # nothing of it was overwritten by a later particle: no two share a voxel
        assert owned_counts[label] == expected.sum(), particle
        assert volumes.occupancy[particle.centre] == label


def test_labels_are_the_line_numbers_and_the_class_mask_agrees(
    placed: tuple[list[Particle], SampleVolumes],
) -> None:
    particles, volumes = placed
    assert set(np.unique(volumes.occupancy)) == set(range(len(particles) + 1))
    class_of_label = np.array([0] + [CLASSES.index(p.class_name) + 1 for p in particles])
    assert np.array_equal(volumes.class_mask, class_of_label[volumes.occupancy])


def test_potential_holds_each_particle_once(
    placed: tuple[list[Particle], SampleVolumes],
) -> None:
    particles, volumes = placed
    expected = sum(float(TEMPLATES[p.class_name].sum(dtype=np.float64)) for p in particles)
    # linear interpolation keeps the integral; only tails beyond the slab faces are cut
    assert float(volumes.potential.sum(dtype=np.float64)) == pytest.approx(expected, rel=0.02)


def test_same_generator_state_gives_the_same_placement() -> None:
    results = []
    for _ in range(2):
        rng = np.random.default_rng(5)
        volumes = _volumes((40, 64, 64))
        particles = place_particles(["1bxn", "3qm1", "4d8q"], TEMPLATES, volumes, rng, 50)
        results.append((particles, volumes.occupancy.copy()))
    assert results[0][0] == results[1][0]
    assert np.array_equal(results[0][1], results[1][1])


def test_too_many_particles_report_how_many_fit() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(PlacementError, match=r"only \d+ of 60 particles fit") as caught:
        place_particles(["4b4t"] * 60, TEMPLATES, _volumes((40, 64, 64)), rng, attempts=30)
    assert 0 < caught.value.placed < 60
    assert isinstance(caught.value, ValueError)


def test_a_particle_thicker_than_the_slab_cannot_be_placed() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(PlacementError, match="only 0 of 1 particles fit"):
        place_particles(["4b4t"], TEMPLATES, _volumes((12, 64, 64)), rng, attempts=5)
