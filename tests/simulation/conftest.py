"""Small real datasets shared by the simulator's tests (simulated once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation import SimulationParameters, simulate_dataset

SMALL = SimulationParameters(
    size=80, slab=44, particles=40, tomograms=2, seed=7, tilt_step=3.0, write_noisefree=True
)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-tomogram 80³ dataset (41 tilts, 40 particles each, noise-free series kept)."""
    folder = tmp_path_factory.mktemp("small_dataset")
    simulate_dataset(folder, SMALL)
    return folder
