"""Model files: round trip without running code, checksums, and clear errors."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from baselines.errors import BaselineError
from baselines.model_file import SavedModel, code_version, load_model, save_model, weights_checksum


def _model(weight: float = 1.0) -> SavedModel:
    return SavedModel(
        name="dog",
        config={"channels": (8, 16), "learning_rate": 0.002},
        fitted={"threshold": 0.25, "priors": {"z_range": [3, 40]}},
        weights={"layer.weight": torch.full((2, 3), weight), "layer.bias": torch.zeros(2)},
        code_version=code_version(),
    )


def test_round_trip_loads_with_weights_only(tmp_path: Path) -> None:
    path = save_model(_model(), tmp_path / "deep" / "model.pt")
    raw = torch.load(path, weights_only=True)  # nothing but plain data inside
    assert raw["format"] == "tomobench-baseline/1"
    loaded = load_model(path)
    assert loaded.name == "dog"
    assert loaded.config == {"channels": (8, 16), "learning_rate": 0.002}
    assert loaded.fitted["threshold"] == 0.25
    assert torch.equal(loaded.weights["layer.weight"], torch.ones(2, 3))
    assert loaded.code_version == code_version()


def test_checksum_follows_content_not_file_layout(tmp_path: Path) -> None:
    first = weights_checksum(save_model(_model(), tmp_path / "a.pt"))
    again = weights_checksum(save_model(_model(), tmp_path / "b.pt"))
    changed = weights_checksum(save_model(_model(1.5), tmp_path / "c.pt"))
    assert first == again
    assert first != changed
    assert len(first) == 64
    assert int(first, 16) >= 0


def test_code_version_names_package_and_source_digest() -> None:
    version, _, digest = code_version().partition("+")
    assert version == "0.1.0"
    assert len(digest) == 12


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a torch file", "not a readable model file"),
        (None, "not a tomobench baseline model"),
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.pt"
    if content is None:
        torch.save({"weights": {}}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(BaselineError, match=message):
        load_model(path)


def test_missing_file_and_pickled_code_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="no such model file"):
        load_model(tmp_path / "absent.pt")
    path = tmp_path / "code.pt"
    path.write_bytes(pickle.dumps(Path("/")))  # an object, not plain data
    with pytest.raises(BaselineError, match="not a readable model file"):
        load_model(path)
