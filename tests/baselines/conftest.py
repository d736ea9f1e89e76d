"""A tiny real dataset for the baselines' tests, simulated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

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
