"""SimulationParameters: SHREC defaults, validation messages, round trip."""

from __future__ import annotations

import pytest

from simulation import SimulationParameters


def test_defaults_are_shrec19() -> None:
    params = SimulationParameters()
    assert params.volume_shape == (512, 512, 512)
    assert params.slab_range == (156, 356)  # the 200 slices SHREC'19 padded by 156 each side
    assert params.particles == 2500
    assert params.tomograms == 10
    assert params.snr == 0.02
    assert params.voxel_size == 1.0
    angles = params.tilt_angles()
    assert angles.size == 61
    assert angles[0] == -60.0
    assert angles[-1] == 60.0
    assert angles[31] == 2.0


def test_shape_overrides_size() -> None:
    params = SimulationParameters(shape=(40, 64, 96), slab=20)
    assert params.volume_shape == (40, 64, 96)
    assert params.slab_range == (10, 30)


def test_tilt_range_includes_the_last_angle_when_it_falls_on_the_step() -> None:
    assert SimulationParameters(tilt_min=-45, tilt_max=45, tilt_step=3).tilt_angles().size == 31
    assert SimulationParameters(tilt_min=-45, tilt_max=44, tilt_step=3).tilt_angles().size == 30


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"size": 64, "slab": 100}, r"slab \(100 slices\) is larger than the volume \(64"),
        ({"snr": 0}, "snr must be a positive number"),
        ({"snr": float("nan")}, "snr must be a positive number"),
        ({"dose": -5.0}, "dose must be a positive number"),
        ({"particles": -1}, "particles must be between 0 and 65535"),
        ({"particles": 70000}, "particles must be between 0 and 65535"),
        ({"tomograms": 0}, "tomograms must be at least 1"),
        ({"size": 8}, "at least 16 voxels"),
        ({"shape": (64, 64)}, "shape must have 3 entries"),
        ({"tilt_min": 30, "tilt_max": -30}, "must not be below tilt_min"),
        ({"tilt_max": 90}, "strictly between -90 and 90"),
        ({"amplitude_contrast": 1.0}, r"amplitude_contrast must be in \[0, 1\)"),
        ({"defocus_um": -1.0}, "defocus_um must be a non-negative number"),
        ({"seed": -3}, "seed must be a non-negative integer"),
        ({"tilt_min": 0, "tilt_max": 1, "tilt_step": 2}, "fewer than 2 tilt images"),
        ({"test_tomograms": 0}, "test_tomograms must be at least 1, got 0"),
        (
            {"tomograms": 3, "test_tomograms": 3},
            r"test_tomograms \(3\) must be below tomograms \(3\): at least one tomogram",
        ),
    ],
)
def test_invalid_values_are_refused_with_a_clear_message(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationParameters(**values)  # type: ignore[arg-type]


def test_round_trip_through_a_dict() -> None:
    params = SimulationParameters(size=96, slab=40, dose=80.0, defocus_variation=0.2, seed=5)
    values = params.to_dict()
    assert values["shape"] == [96, 96, 96]
    assert SimulationParameters.from_dict(values) == params


def test_the_last_test_tomograms_are_the_test() -> None:
    params = SimulationParameters(tomograms=5, test_tomograms=2)
    assert [params.is_test(index) for index in range(5)] == [False, False, False, True, True]
    assert params.to_dict()["test_tomograms"] == 2
    assert SimulationParameters.from_dict(params.to_dict()) == params
    # one test tomogram is the default and left out of the records, which keep their bytes
    assert "test_tomograms" not in SimulationParameters(tomograms=5).to_dict()
    # a dataset of one tomogram keeps it as its test
    assert SimulationParameters(tomograms=1).is_test(0)


def test_from_dict_names_unknown_keys() -> None:
    with pytest.raises(ValueError, match="unknown simulation parameters: colour"):
        SimulationParameters.from_dict({"colour": "blue"})


def test_parameters_are_frozen() -> None:
    params = SimulationParameters()
    with pytest.raises(AttributeError):
        params.snr = 1.0  # type: ignore[misc]
