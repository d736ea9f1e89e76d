"""A tiny real dataset for the baselines' tests, simulated once per session."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

import baselines
from simulation import SimulationParameters, simulate_dataset

# 3 training tomograms and 1 test tomogram of 96³ voxels at 1 nm, 60 particles each
TINY = SimulationParameters(size=96, slab=48, particles=60, tomograms=4, seed=1)


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
    """Train baseline `request.param` with the CPU preset and predict the test tomogram."""
    name = request.param
    folder = tmp_path_factory.mktemp(f"run_{name}")
    messages: list[tuple[str, float]] = []
    model = baselines.train(
        name,
        tiny_dataset,
        folder / "model.pt",
        config="cpu",
        progress=lambda m, f: messages.append((m, f)),
    )
    fractions = [fraction for _, fraction in messages]
    assert fractions[-1] == 1.0
    assert all(0.0 <= fraction <= 1.0 for fraction in fractions)
    test = json.loads((tiny_dataset / "dataset.json").read_text())["test_tomogram"]
    submission = baselines.predict(name, model, tiny_dataset / test, folder / "picks.txt")
    return Run(model, submission, tiny_dataset / test)
