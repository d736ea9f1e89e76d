"""Datasets: layout, determinism, progress, physics end to end, and the evaluator's verdict."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from evaluation import CLASSES, load_ground_truth, parse_submission, score
from simulation import SimulationParameters, simulate_dataset, simulate_tomogram
from simulation.ctf import interaction_constant
from simulation.reconstruction import weighted_back_projection
from simulation.solvent import water_potential
from simulation.tilt_operator import TiltOperator
from tests.simulation.conftest import SMALL
from tests.simulation.helpers import read_volume


def _dataset_json(folder: Path) -> dict[str, object]:
    return dict(json.loads((folder / "dataset.json").read_text()))


def test_dataset_layout_and_roles(small_dataset: Path) -> None:
    content = _dataset_json(small_dataset)
    assert content["seed"] == 7
    assert content["parameters"] == SMALL.to_dict()
    assert content["test_tomogram"] == "model_1"
    assert content["test_tomograms"] == ["model_1"]
    tomograms = content["tomograms"]
    assert isinstance(tomograms, list)
    assert [entry["name"] for entry in tomograms] == ["model_0", "model_1"]
    assert [entry["role"] for entry in tomograms] == ["train", "test"]
    for entry in tomograms:
        assert entry["particles"] == 40
        assert "metadata.json" in entry["files"]
        assert entry["files"]["reconstruction.mrc"]["bytes"] == 80**3 * 4 + 1024
        assert len(entry["files"]["grandmodel.mrc"]["sha256"]) == 64
    assert isinstance(content["created"], str)


def test_a_secret_test_seed_changes_only_the_test_tomogram(
    small_dataset: Path, tmp_path: Path
) -> None:
    secret = 2**200 + 12345  # seeds this large cannot be guessed
    content = simulate_dataset(tmp_path, SMALL, test_seed=secret)
    public = _dataset_json(small_dataset)
    assert content["tomograms"][0]["files"] == public["tomograms"][0]["files"]  # training
    for name in ("particle_locations.txt", "reconstruction.mrc", "occupancy_mask.mrc"):
        hidden = (tmp_path / "model_1" / name).read_bytes()
        assert hidden != (small_dataset / "model_1" / name).read_bytes(), name
    assert content["test_seed"] == "secret"
    assert str(secret) not in (tmp_path / "dataset.json").read_text()
    metadata = json.loads((tmp_path / "model_1" / "metadata.json").read_text())
    assert metadata["seed"] is None
    assert str(secret) not in json.dumps(metadata)
    alone = simulate_tomogram(tmp_path / "alone", SMALL, index=1, secret_seed=secret)
    for name, record in alone["files"].items():  # the organizer's rebuild of the test alone
        assert record == content["tomograms"][1]["files"][name], name


def test_several_test_tomograms_share_the_secret(small_dataset: Path, tmp_path: Path) -> None:
    params = dataclasses.replace(SMALL, tomograms=3, test_tomograms=2, write_noisefree=False)
    secret = 2**199 + 7
    content = simulate_dataset(tmp_path, params, test_seed=secret)
    assert [entry["role"] for entry in content["tomograms"]] == ["train", "test", "test"]
    assert content["test_tomogram"] == "model_1"
    assert content["test_tomograms"] == ["model_1", "model_2"]
    assert content["parameters"]["test_tomograms"] == 2
    # training tomogram 0 is the public one of the 2-tomogram dataset (same seed, index)
    public = _dataset_json(small_dataset)["tomograms"][0]["files"]
    for name in ("reconstruction.mrc", "particle_locations.txt"):
        assert content["tomograms"][0]["files"][name] == public[name], name
    # each test tomogram has its own streams from the one secret, and records no seed
    test_files = [content["tomograms"][i]["files"] for i in (1, 2)]
    assert test_files[0]["grandmodel.mrc"] != test_files[1]["grandmodel.mrc"]
    assert test_files[0]["grandmodel.mrc"] != public["grandmodel.mrc"]
    for name in ("model_1", "model_2"):
        metadata = json.loads((tmp_path / name / "metadata.json").read_text())
        assert (metadata["role"], metadata["seed"]) == ("test", None)
        assert str(secret) not in json.dumps(metadata)
    assert str(secret) not in (tmp_path / "dataset.json").read_text()
    # the organizer rebuilds a test tomogram alone from the same secret
    alone = simulate_tomogram(tmp_path / "alone", params, index=1, secret_seed=secret)
    assert alone["files"] == {
        name: record
        for name, record in content["tomograms"][1]["files"].items()
        if name != "metadata.json"
    }


def test_the_same_seed_gives_identical_bytes(small_dataset: Path, tmp_path: Path) -> None:
    again = simulate_dataset(tmp_path, SMALL)
    first = _dataset_json(small_dataset)
    assert again["tomograms"] == first["tomograms"]  # every file's size and sha256
    for name in ("model_0/metadata.json", "model_1/particle_locations.txt"):
        assert (tmp_path / name).read_bytes() == (small_dataset / name).read_bytes()


def test_a_tomogram_alone_equals_its_dataset_twin(small_dataset: Path, tmp_path: Path) -> None:
    metadata = simulate_tomogram(tmp_path, SMALL, index=1)
    twin = json.loads((small_dataset / "model_1" / "metadata.json").read_text())
    assert metadata == twin


def test_different_seeds_differ(small_dataset: Path, tmp_path: Path) -> None:
    other = simulate_tomogram(tmp_path, dataclasses.replace(SMALL, seed=8), index=0)
    first = json.loads((small_dataset / "model_0" / "metadata.json").read_text())
    for name in ("reconstruction.mrc", "grandmodel.mrc", "particle_locations.txt"):
        assert other["files"][name]["sha256"] != first["files"][name]["sha256"]
    # tomograms of one dataset differ from each other too
    second = json.loads((small_dataset / "model_1" / "metadata.json").read_text())
    assert first["files"]["grandmodel.mrc"] != second["files"]["grandmodel.mrc"]


def test_progress_is_monotone_and_complete(tmp_path: Path) -> None:
    reports: list[tuple[str, float]] = []
    params = dataclasses.replace(SMALL, size=64, slab=40, particles=10, tomograms=2)
    simulate_dataset(tmp_path, params, progress=lambda stage, f: reports.append((stage, f)))
    fractions = [fraction for _, fraction in reports]
    assert fractions == sorted(fractions)
    assert fractions[0] >= 0.0
    assert fractions[-1] == 1.0
    stages = {stage for stage, _ in reports}
    assert {"model_0: placement", "model_1: reconstruction"} <= stages
    # tomogram 0 ends half way
    assert max(f for s, f in reports if s.startswith("model_0")) == pytest.approx(0.5)


def test_ground_truth_scores_perfectly_with_the_evaluator(small_dataset: Path) -> None:
    test_folder = small_dataset / "model_1"
    truth = load_ground_truth(test_folder)
    submission = parse_submission(test_folder / "particle_locations.txt")
    result = score(truth, submission, bootstrap=0).to_dict()
    localization = result["localization"]
    assert localization["TP"] == 40
    assert localization["FP"] == 0
    assert localization["MH"] == 0
    assert localization["f1"] == 1.0
    assert localization["AD"] == 0.0
    classification = result["classification"]
    for class_name in CLASSES:
        assert classification[class_name]["f1"] in (1.0, None), class_name
    assert all(value == 1.0 for value in result["size_groups"].values() if value is not None)


def test_noise_free_reconstruction_correlates_with_the_grandmodel(tmp_path: Path) -> None:
    # without CTF and noise, -WBP of the series is the sample's potential contrast against
    # water (times 2 σ_e), limited only by the ±60° missing wedge
    params = dataclasses.replace(SMALL, ctf=False, tomograms=1)
    simulate_tomogram(tmp_path, params)
    grandmodel = read_volume(tmp_path / "grandmodel.mrc").astype(np.float64)
    z_start, z_stop = params.slab_range
    grandmodel[z_start:z_stop] -= water_potential(params.water_density)
    series = read_volume(tmp_path / "noisefree_projections.mrc")
    operator = TiltOperator(params.volume_shape, params.tilt_angles())
    reconstruction = weighted_back_projection(series, operator).astype(np.float64)
    smooth_truth = ndimage.gaussian_filter(grandmodel, 1.0)[z_start:z_stop]
    smooth_reconstruction = ndimage.gaussian_filter(reconstruction, 1.0)[z_start:z_stop]
    correlation = np.corrcoef(-smooth_reconstruction.ravel(), smooth_truth.ravel())[0, 1]
    assert correlation > 0.8
    # the amplitude: -2 σ_e per volt, less what the missing wedge removes
    slope = np.polyfit(smooth_truth.ravel(), smooth_reconstruction.ravel(), 1)[0]
    assert (
        -1.0 < slope / (-2 * interaction_constant(300)) < -0.5
        or 0.5 < slope / (-2 * interaction_constant(300)) < 1.0
    )


def test_more_particles_than_fit_is_a_clear_error(tmp_path: Path) -> None:
    crowded = SimulationParameters(size=64, slab=40, particles=150, tomograms=1)
    with pytest.raises(ValueError, match=r"particles need about \d+ voxels but the slab"):
        simulate_tomogram(tmp_path, crowded)
    tight = SimulationParameters(size=64, slab=40, particles=60, tomograms=1, seed=1)
    with pytest.raises(ValueError, match=r"only \d+ of 60 particles fit"):
        simulate_tomogram(tmp_path, tight)


def test_an_index_outside_the_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"index 2 is outside 0..1"):
        simulate_tomogram(tmp_path, SMALL, index=2)
