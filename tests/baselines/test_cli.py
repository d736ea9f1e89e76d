"""`tomobench baseline train|predict`: the same results as the library, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import baselines
from app.cli import main
from tests.baselines.conftest import Run


@pytest.mark.slow
@pytest.mark.parametrize("run", ["template"], indirect=True)
def test_train_and_predict_match_the_library(run: Run, tiny_dataset: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    model = tmp_path / "model.pt"
    trained = runner.invoke(
        main,
        [
            "baseline",
            "train",
            "template",
            "--dataset",
            str(tiny_dataset),
            "--model-out",
            str(model),
            "--config",
            "cpu",
        ],
    )
    assert trained.exit_code == 0, trained.output
    # same data, seed and preset as the library's run: the same weights
    assert baselines.weights_checksum(model) == baselines.weights_checksum(run.model)
    assert f"weights sha256 {baselines.weights_checksum(model)}" in trained.output
    out = tmp_path / "picks.txt"
    predicted = runner.invoke(
        main,
        [
            "baseline",
            "predict",
            "template",
            "--model",
            str(model),
            "--tomogram",
            str(run.test_folder),
            "--out",
            str(out),
        ],
    )
    assert predicted.exit_code == 0, predicted.output
    assert out.read_text() == run.submission.read_text()


def test_bad_arguments_end_in_one_line(tiny_dataset: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    unknown = runner.invoke(
        main, ["baseline", "train", "svm", "--dataset", str(tiny_dataset), "--model-out", "m.pt"]
    )
    assert unknown.exit_code == 2
    assert "'svm' is not one of 'dog', 'template', 'unet'" in unknown.output
    empty = runner.invoke(
        main, ["baseline", "train", "dog", "--dataset", str(tmp_path), "--model-out", "m.pt"]
    )
    assert empty.exit_code == 1
    assert (
        empty.output.strip().splitlines()[-1]
        == f"Error: {tmp_path / 'dataset.json'}: no such file (is this a dataset folder?)"
    )
    not_a_model = tmp_path / "model.pt"
    not_a_model.write_text("weights")
    wrong = runner.invoke(
        main,
        [
            "baseline",
            "predict",
            "unet",
            "--model",
            str(not_a_model),
            "--tomogram",
            str(tiny_dataset / "model_3"),
            "--out",
            str(tmp_path / "p.txt"),
        ],
    )
    assert wrong.exit_code == 1
    assert "not a readable model file" in wrong.output
    assert "Traceback" not in wrong.output
