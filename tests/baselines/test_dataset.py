"""Reading a simulated dataset and the priors learned from it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from baselines.dataset import dataset_tomograms, read_tilt_range, read_tomogram
from baselines.errors import BaselineError
from baselines.priors import learn_priors
from evaluation.classes import CLASSES
from tests.baselines.conftest import TINY


def test_roles_follow_dataset_json(tiny_dataset: Path) -> None:
    assert [p.name for p in dataset_tomograms(tiny_dataset, "train")] == [
        "model_0",
        "model_1",
        "model_2",
    ]
    assert [p.name for p in dataset_tomograms(tiny_dataset, "test")] == ["model_3"]


def test_tomogram_is_normalised_and_truth_matches_the_list(tiny_dataset: Path) -> None:
    tomogram = read_tomogram(tiny_dataset / "model_0", with_truth=True)
    assert tomogram.volume.dtype == np.float32
    assert abs(float(tomogram.volume.mean())) < 1e-4
    assert float(tomogram.volume.std()) == pytest.approx(1.0, abs=1e-4)
    assert tomogram.voxel_size == pytest.approx(TINY.voxel_size)
    truth = tomogram.annotated()
    first = (tiny_dataset / "model_0" / "particle_locations.txt").read_text().split()
    # centres are (z, y, x); the list says CLASS X Y Z
    assert truth.classes[0] == CLASSES.index(first[0]) + 1
    assert truth.centres[0].tolist() == [float(first[3]), float(first[2]), float(first[1])]
    z, y, x = np.rint(truth.centres[0]).astype(int)
    assert truth.occupancy[z, y, x] == 1
    assert truth.class_mask[z, y, x] == truth.classes[0]
    assert read_tilt_range(tiny_dataset / "model_0") == (TINY.tilt_min, TINY.tilt_max)
    with pytest.raises(BaselineError, match="no ground truth"):
        read_tomogram(tiny_dataset / "model_0").annotated()


def test_priors_of_the_simulated_data(tiny_dataset: Path) -> None:
    tomograms = [
        read_tomogram(f, with_truth=True) for f in dataset_tomograms(tiny_dataset, "train")
    ]
    priors = learn_priors(tomograms)
    # phase-flipped negative-contrast imaging: proteins are darker than the water
    assert priors.contrast == -1.0
    radius = dict(zip(CLASSES, priors.class_radii, strict=True))
    assert radius["4b4t"] > radius["1bxn"] > radius["3qm1"]
    slab_low = (TINY.size - TINY.slab) // 2
    low, high = priors.z_range
    assert low <= slab_low
    assert high >= slab_low + TINY.slab - 1
    for tomogram in tomograms:
        z = tomogram.annotated().centres[:, 0]
        assert np.all((z >= low) & (z < high))


def test_bad_dataset_folders_raise_clear_errors(tmp_path: Path, tiny_dataset: Path) -> None:
    with pytest.raises(BaselineError, match="no such file"):
        dataset_tomograms(tmp_path, "train")
    (tmp_path / "dataset.json").write_text("{not json")
    with pytest.raises(BaselineError, match="not a dataset index"):
        dataset_tomograms(tmp_path, "train")
    (tmp_path / "dataset.json").write_text(
        json.dumps({"tomograms": [{"name": "a", "role": "test"}]})
    )
    with pytest.raises(BaselineError, match="no tomogram with role 'train'"):
        dataset_tomograms(tmp_path, "train")
    with pytest.raises(BaselineError, match="cannot read MRC volume"):
        read_tomogram(tmp_path / "a")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_dataset / "model_0", broken)
    (broken / "particle_locations.txt").write_text("1bxn 10 10 x 0 0 0\n")
    with pytest.raises(BaselineError, match="line 1"):
        read_tomogram(broken, with_truth=True)
