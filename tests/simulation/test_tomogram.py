"""One simulated tomogram's files: ground truth re-derived from the written list, SNR, headers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
import pytest
from scipy import ndimage

from evaluation.classes import CLASSES
from simulation import SIMULATOR_VERSION, load_template
from simulation.output import file_record
from simulation.solvent import water_potential
from tests.simulation.conftest import SMALL
from tests.simulation.helpers import (
    particle_correlation,
    read_locations,
    read_volume,
    rotated_template,
)

VOLUMES = ("reconstruction.mrc", "grandmodel.mrc", "occupancy_mask.mrc", "class_mask.mrc")


@pytest.fixture(scope="module", params=["model_0", "model_1"])
def tomogram(request: pytest.FixtureRequest, small_dataset: Path) -> Path:
    return small_dataset / str(request.param)


def _metadata(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "metadata.json").read_text()))


def test_volumes_share_shape_and_voxel_size(tomogram: Path) -> None:
    for name in VOLUMES:
        with mrcfile.open(tomogram / name) as mrc:
            assert mrc.data.shape == SMALL.volume_shape, name
            assert mrc.voxel_size.x == pytest.approx(10.0)  # Å: 1 nm voxels
    with mrcfile.open(tomogram / "projections.mrc") as mrc:
        assert mrc.data.shape == (41, 80, 80)  # -60..60 by 3: 41 tilts of y x x


def test_metadata_records_everything(tomogram: Path) -> None:
    metadata = _metadata(tomogram)
    assert metadata["simulator_version"] == SIMULATOR_VERSION
    assert metadata["seed"] == 7
    assert metadata["parameters"] == SMALL.to_dict()
    assert metadata["particles"] == 40
    assert sum(metadata["class_counts"].values()) == 40
    assert len(metadata["defocus_um"]) == 41
    expected_files = {
        "reconstruction.mrc",
        "grandmodel.mrc",
        "occupancy_mask.mrc",
        "class_mask.mrc",
        "particle_locations.txt",
        "projections.mrc",
        "noisefree_projections.mrc",
        "tilt_angles.txt",
    }
    assert set(metadata["files"]) == expected_files
    for name, record in metadata["files"].items():
        assert file_record(tomogram / name) == record, name


def test_tilt_angles_file(tomogram: Path) -> None:
    angles = np.loadtxt(tomogram / "tilt_angles.txt")
    assert np.array_equal(angles, np.arange(-60.0, 61.0, 3.0))


def test_every_particle_matches_its_written_orientation(tomogram: Path) -> None:
    metadata = _metadata(tomogram)
    water = metadata["water_potential_volts"]
    interior = metadata["protein_interior_potential_volts"]
    z_range = tuple(metadata["slab_z_range"])
    grandmodel = read_volume(tomogram / "grandmodel.mrc")
    occupancy = read_volume(tomogram / "occupancy_mask.mrc")

    def local_model(protein: np.ndarray) -> np.ndarray:
        # the written recipe: protein plus the water its volume leaves free
        return np.asarray(protein + water * (1 - np.clip(protein / interior, 0, 1)))

    right: list[float] = []
    wrong: list[float] = []
    for label, (name, centre, angles) in enumerate(
        read_locations(tomogram / "particle_locations.txt"), 1
    ):
        template = load_template(name)
        for transpose, scores in ((False, right), (True, wrong)):
            expected = local_model(rotated_template(template, angles, transpose=transpose))
            scores.append(
                particle_correlation(grandmodel, occupancy, label, centre, expected, z_range)
            )
    assert min(right) > 0.9
    # negative control: the inverse rotation (wrong convention) fits much worse
    assert np.median(wrong) < np.median(right) - 0.2


def test_occupancy_labels_are_the_line_numbers(tomogram: Path) -> None:
    occupancy = read_volume(tomogram / "occupancy_mask.mrc")
    locations = read_locations(tomogram / "particle_locations.txt")
    assert occupancy.dtype == np.uint16
    assert set(np.unique(occupancy)) == set(range(len(locations) + 1))
    for label, (_, centre, _) in enumerate(locations, start=1):
        x, y, z = (int(c) for c in centre)
        assert occupancy[z, y, x] == label


def test_no_two_particles_share_a_voxel(tomogram: Path) -> None:
    # each particle still owns its whole footprint (re-derived with scipy's own hole
    # filling): had a later particle overlapped it, some of those voxels would carry
    # another label
    occupancy = read_volume(tomogram / "occupancy_mask.mrc")
    owned = np.bincount(occupancy.ravel())
    for label, (name, _, angles) in enumerate(
        read_locations(tomogram / "particle_locations.txt"), 1
    ):
        rotated = rotated_template(load_template(name), angles)
        footprint = ndimage.binary_fill_holes(rotated > 1.0)
        footprint[tuple(np.array(rotated.shape) // 2)] = True
        assert owned[label] == footprint.sum(), (label, name)


def test_class_mask_agrees_with_the_occupancy_mask(tomogram: Path) -> None:
    occupancy = read_volume(tomogram / "occupancy_mask.mrc")
    class_mask = read_volume(tomogram / "class_mask.mrc")
    locations = read_locations(tomogram / "particle_locations.txt")
    class_of_label = np.array([0] + [CLASSES.index(name) + 1 for name, _, _ in locations])
    assert np.array_equal(class_mask, class_of_label[occupancy])


def test_particles_and_water_stay_inside_the_slab(tomogram: Path) -> None:
    z_start, z_stop = _metadata(tomogram)["slab_z_range"]
    assert (z_start, z_stop) == (18, 62)
    grandmodel = read_volume(tomogram / "grandmodel.mrc")
    occupancy = read_volume(tomogram / "occupancy_mask.mrc")
    assert not grandmodel[:z_start].any()
    assert not grandmodel[z_stop:].any()
    assert not occupancy[:z_start].any()
    # far from proteins the slab is water: 4.575 V with 5 % structural noise
    away = ndimage.binary_dilation(occupancy > 0, iterations=4)
    solvent = grandmodel[z_start:z_stop][~away[z_start:z_stop]]
    assert solvent.mean() == pytest.approx(water_potential(0.94), rel=0.01)
    assert solvent.std() == pytest.approx(0.05 * water_potential(0.94), rel=0.1)


def test_measured_snr_of_the_written_projections(tomogram: Path) -> None:
    clean = read_volume(tomogram / "noisefree_projections.mrc").astype(np.float64)
    noisy = read_volume(tomogram / "projections.mrc").astype(np.float64)
    measured = clean.var(axis=(1, 2)) / (noisy - clean).var(axis=(1, 2))
    # 6,400 pixels per image estimate a variance to ±1.8 % (1 sd); 41 images to ±0.3 %
    assert measured.mean() == pytest.approx(0.02, rel=0.02)
    assert np.allclose(measured, 0.02, rtol=0.08)
