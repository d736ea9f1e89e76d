"""A tiny real dataset for the baselines' tests, simulated once per session."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

import baselines
from baselines.api import baseline_module
from simulation import SimulationParameters, simulate_dataset

# 3 training tomograms and 1 test tomogram of 96³ voxels at 1 nm, 60 particles each
TINY = SimulationParameters(size=96, slab=48, particles=60, tomograms=4, seed=1)
# The CPU presets with shorter schedules on TINY: their networks learn all they can of 60
# particles in a third of the preset's epochs (measured on TINY: unet F1 0.62 after 4
# epochs, 0.60 after the preset's 12; dog 0.674 after 5 and after 16), and the full
# schedules cost minutes. The template baseline trains no network: its preset as it is.
TINY_SCHEDULES: dict[str, dict[str, int]] = {"unet": {"epochs": 4}, "dog": {"epochs": 5}}


def tiny_config(name: str) -> Any:
    """Baseline `name`'s CPU preset with its TINY schedule (the preset itself, by name, when
    it has none: the model then records the preset as `tomobench baseline train` does)."""
    if name not in TINY_SCHEDULES:
        return "cpu"
    return dataclasses.replace(baseline_module(name).PRESETS["cpu"], **TINY_SCHEDULES[name])


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    """The test machine has two cores."""
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the simulated TINY dataset (dataset.json, model_0 … model_3)."""
    folder = tmp_path_factory.mktemp("tiny_dataset")
    simulate_dataset(folder, TINY)
    return folder


@dataclass(frozen=True)
class Run:
    """A trained model and its submission for the test tomogram."""

    model: Path
    submission: Path
    test_folder: Path


@pytest.fixture(scope="session", params=baselines.NAMES)
def run(
    request: pytest.FixtureRequest, tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    """Train baseline `request.param` with its CPU preset (TINY's schedule) and predict the
    test tomogram."""
    name = request.param
    folder = tmp_path_factory.mktemp(f"run_{name}")
    messages: list[tuple[str, float]] = []
    model = baselines.train(
        name,
        tiny_dataset,
        folder / "model.pt",
        config=tiny_config(name),
        progress=lambda m, f: messages.append((m, f)),
    )
    fractions = [fraction for _, fraction in messages]
    assert fractions[-1] == 1.0
    assert all(0.0 <= fraction <= 1.0 for fraction in fractions)
    test = json.loads((tiny_dataset / "dataset.json").read_text())["test_tomogram"]
    submission = baselines.predict(name, model, tiny_dataset / test, folder / "picks.txt")
    return Run(model, submission, tiny_dataset / test)
