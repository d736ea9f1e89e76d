"""`tomobench simulate` and `tomobench templates`: real runs and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from evaluation.classes import CLASSES
from simulation import load_template

SMALL_ARGS = ["--size", "64", "--slab", "40", "--particles", "8", "--tilt-step", "6"]


def test_simulate_writes_a_dataset(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["simulate", "--out", str(tmp_path), *SMALL_ARGS, "--tomograms", "2", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 2 tomograms" in result.output
    content = json.loads((tmp_path / "dataset.json").read_text())
    assert content["parameters"]["shape"] == [64, 64, 64]
    assert content["parameters"]["tilt_step"] == 6.0
    assert content["seed"] == 4
    assert [entry["particles"] for entry in content["tomograms"]] == [8, 8]
    assert (tmp_path / "model_1" / "reconstruction.mrc").exists()


def test_simulate_takes_several_test_tomograms(tmp_path: Path) -> None:
    arguments = [*SMALL_ARGS, "--tomograms", "3", "--test-tomograms", "2", "--quiet"]
    result = CliRunner().invoke(
        main, ["simulate", "--out", str(tmp_path), *arguments, "--test-seed", "99"]
    )
    assert result.exit_code == 0, result.output
    content = json.loads((tmp_path / "dataset.json").read_text())
    assert [entry["role"] for entry in content["tomograms"]] == ["train", "test", "test"]
    assert content["test_tomograms"] == ["model_1", "model_2"]
    # --index rebuilds a test tomogram alone from the same secret
    alone = tmp_path / "alone"
    result = CliRunner().invoke(
        main, ["simulate", "--out", str(alone), *arguments, "--test-seed", "99", "--index", "1"]
    )
    assert result.exit_code == 0, result.output
    metadata = json.loads((alone / "metadata.json").read_text())
    assert metadata["role"] == "test"
    assert metadata["files"]["grandmodel.mrc"] == content["tomograms"][1]["files"]["grandmodel.mrc"]


def test_simulate_one_tomogram_with_options(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            "--out",
            str(tmp_path),
            *SMALL_ARGS,
            "--index",
            "0",
            "--dose",
            "80",
            "--no-defocus-gradient",
            "--defocus-variation",
            "0.3",
            "--shape",
            "48,64,80",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"name": "model_0", "particles": 8}
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["parameters"]["dose"] == 80.0
    assert metadata["parameters"]["shape"] == [48, 64, 80]
    assert metadata["parameters"]["defocus_gradient"] is False
    assert len(set(metadata["defocus_um"])) > 1
    assert not (tmp_path / "dataset.json").exists()


def _error(arguments: list[str], tmp_path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path), *arguments])
    return result.exit_code, result.output


def test_impossible_settings_end_in_one_line(tmp_path: Path) -> None:
    code, output = _error(["--size", "64", "--slab", "100"], tmp_path)
    assert code == 1
    assert output == (
        "Error: invalid settings: slab (100 slices) is larger than the volume (64 slices in z)\n"
    )
    code, output = _error(["--size", "64", "--slab", "40", "--particles", "500"], tmp_path)
    assert code == 1
    assert "Error: 500 particles need about" in output
    assert "at most about" in output
    assert "Traceback" not in output
    code, output = _error(["--size", "64", "--shape", "1,2"], tmp_path)
    assert code == 1
    assert "shape must have 3 entries" in output
    code, output = _error(["--tomograms", "2", "--test-tomograms", "2"], tmp_path)
    assert code == 1
    assert output.startswith("Error: invalid settings: test_tomograms (2) must be below")
    code, output = _error(["--shape", "a,b,c"], tmp_path)
    assert code == 2
    assert "expected Z,Y,X integers" in output


def test_templates_command_rebuilds_the_set(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "templates",
            "--voxel-size",
            "1.0",
            "--out",
            str(tmp_path),
            "--mrc",
            str(tmp_path / "mrc"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("4d8q   mask") for line in lines)
    assert any(line.startswith("1bxn   atomic") for line in lines)
    with np.load(tmp_path / "templates_1.000nm.npz") as archive:
        assert float(archive["voxel_size"]) == 1.0
        for class_name in CLASSES:
            np.testing.assert_allclose(archive[class_name], load_template(class_name), atol=1e-3)
    assert len(list((tmp_path / "mrc").glob("*.mrc"))) == 12


def test_the_documented_small_example_runs(tmp_path: Path) -> None:
    docs = Path(__file__).parents[2] / "docs" / "simulation.md"
    command = next(line for line in docs.read_text().splitlines() if "--size 64" in line)
    arguments = command.replace("/tmp/small", str(tmp_path)).split()
    assert arguments[0] == "tomobench"
    result = CliRunner().invoke(main, arguments[1:])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "dataset.json").read_text())["seed"] == 4


def test_the_documented_library_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "simulation.md").read_text()
    block = docs.split("```python\nfrom simulation import SimulationParameters")[1].split("```")[0]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec("from simulation import SimulationParameters" + block, namespace)
    dataset = namespace["dataset"]
    metadata = namespace["metadata"]
    assert isinstance(dataset, dict)
    assert isinstance(metadata, dict)
    assert (
        dataset["tomograms"][2]["files"]["reconstruction.mrc"]
        == metadata["files"]["reconstruction.mrc"]
    )


def test_simulate_takes_a_preset_and_records_it(tmp_path: Path) -> None:
    args = ["simulate", "--out", str(tmp_path), *SMALL_ARGS, "--index", "0", "--quiet"]
    result = CliRunner().invoke(main, [*args, "--preset", "realistic", "--fiducials", "1"])
    assert result.exit_code == 0, result.output
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    assert metadata["parameters"]["preset"] == "realistic"
    assert metadata["parameters"]["dose_per_tilt"] == 3.0
    assert metadata["parameters"]["fiducials"] == 1  # an option overrides the preset
    assert metadata["parameters"]["tilt_step"] == 6.0
