"""The public API: reproducible training, custom configurations and refusals."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import baselines
from baselines.dog import PRESETS as DOG_PRESETS
from baselines.model_file import SavedModel, save_model
from baselines.unet import PRESETS as UNET_PRESETS

# a few steps are enough to tell whether two runs are the same
BRIEF = {
    "dog": dataclasses.replace(DOG_PRESETS["cpu"], epochs=1, steps_per_epoch=2, batch_size=4),
    "unet": dataclasses.replace(UNET_PRESETS["cpu"], epochs=1, steps_per_epoch=2, batch_size=2),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dog", "unet"])
def test_same_seed_same_weights(name: str, tiny_dataset: Path, tmp_path: Path) -> None:
    checksums = [
        baselines.weights_checksum(
            baselines.train(
                name, tiny_dataset, tmp_path / f"{seed}_{run}.pt", config=BRIEF[name], seed=seed
            )
        )
        for seed, run in ((0, "a"), (0, "b"), (1, "c"))
    ]
    assert checksums[0] == checksums[1]
    assert checksums[0] != checksums[2]


def test_configuration_of_another_baseline_is_refused(tiny_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(baselines.BaselineError, match="does not configure baseline 'unet'"):
        baselines.train("unet", tiny_dataset, tmp_path / "m.pt", config=BRIEF["dog"])
    with pytest.raises(baselines.BaselineError, match="unknown configuration 'fast'"):
        baselines.train("dog", tiny_dataset, tmp_path / "m.pt", config="fast")
    with pytest.raises(baselines.BaselineError, match="unknown baseline 'svm'"):
        baselines.train("svm", tiny_dataset, tmp_path / "m.pt")


def test_predict_refuses_a_model_of_another_baseline(tiny_dataset: Path, tmp_path: Path) -> None:
    dog_model = SavedModel("dog", BRIEF["dog"].to_dict(), {}, {}, baselines.code_version())
    path = save_model(dog_model, tmp_path / "dog.pt")
    with pytest.raises(baselines.BaselineError, match="holds a 'dog' model, not 'unet'"):
        baselines.predict("unet", path, tiny_dataset / "model_3", tmp_path / "picks.txt")
    assert not (tmp_path / "picks.txt").exists()
