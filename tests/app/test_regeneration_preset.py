"""A regeneration request may name a simulator preset; the version records it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.schemas import DatasetCreate
from app.services.errors import InvalidInput
from app.services.regeneration import simulation_parameters


def test_a_preset_request_records_the_preset_and_its_values() -> None:
    request = DatasetCreate(preset="shrec19", size=64, particles=4, tomograms=2)
    parameters = simulation_parameters(request.simulator_settings(), seed=3)
    assert parameters["preset"] == "shrec19"
    assert parameters["spacing"] == "shrec19_boxes"
    assert parameters["templates"] == "shrec19"
    assert parameters["snr"] == 0.15
    assert parameters["shape"] == [64, 64, 64]
    assert parameters["slab"] == 64  # small volumes still get a full slab


def test_settings_given_beside_a_preset_override_it() -> None:
    request = DatasetCreate(preset="shrec19", size=64, particles=4, snr=0.05)
    assert simulation_parameters(request.simulator_settings(), seed=3)["snr"] == 0.05


def test_without_a_preset_the_record_is_as_before() -> None:
    parameters = simulation_parameters(DatasetCreate(size=64).simulator_settings(), seed=3)
    assert "preset" not in parameters  # legacy records keep their bytes


def test_an_unknown_preset_is_refused() -> None:
    with pytest.raises(ValidationError):
        DatasetCreate(preset="shrec99")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="unknown preset"):
        simulation_parameters({"preset": "shrec99"}, seed=3)
