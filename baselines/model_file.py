"""The saved model file: weights, configuration, fitted values and the code version.

A model file is `torch.save` of a plain dictionary (tensors, strings, numbers, lists, dicts), so
it loads with `torch.load(..., weights_only=True)` and never runs code from the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch

from baselines.errors import BaselineError

FORMAT = "tomobench-baseline/1"


@dataclass(frozen=True)
class SavedModel:
    """A trained baseline: its `name`, `config` (plain values), `fitted` values learned besides
    the weights (thresholds, dataset priors), `weights` (tensors) and the `code_version`."""

    name: str
    config: dict[str, Any]
    fitted: dict[str, Any]
    weights: dict[str, torch.Tensor]
    code_version: str


@cache
def code_version() -> str:
    """The package version plus a digest of the baselines' source, e.g. `0.1.0+3f2a9c1b07de`."""
    try:
        package = version("tomobench")
    except PackageNotFoundError:
        package = "0+unknown"
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for source in sorted(root.rglob("*.py")):
        digest.update(source.relative_to(root).as_posix().encode())
        digest.update(source.read_bytes())
    return f"{package}+{digest.hexdigest()[:12]}"


def save_model(model: SavedModel, path: Path | str) -> Path:
    """Write `model` to `path` (parent folders created); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    weights = {key: tensor.detach().cpu().contiguous() for key, tensor in model.weights.items()}
    content = {
        "format": FORMAT,
        "name": model.name,
        "code_version": model.code_version,
        "config": model.config,
        "fitted": model.fitted,
        "weights": weights,
    }
    torch.save(content, target)
    return target


def load_model(path: Path | str) -> SavedModel:
    """Read a model file written by `save_model`, without running code from it.

    Raises BaselineError when the file is missing, unreadable or not a baseline model.
    """
    try:
        content = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such model file") from None
    except Exception as error:  # torch raises many kinds for a file that is not its own
        raise BaselineError(f"{path}: not a readable model file ({error})") from None
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise BaselineError(f"{path}: not a tomobench baseline model (format {FORMAT})")
    return SavedModel(
        content["name"],
        content["config"],
        content["fitted"],
        content["weights"],
        content["code_version"],
    )


def weights_checksum(path: Path | str) -> str:
    """SHA-256 (hex) of a model's weights, configuration and fitted values.

    It depends on what the model computes, not on how torch laid the file out. Raises
    BaselineError when the file is not a baseline model.
    """
    model = load_model(path)
    digest = hashlib.sha256()
    digest.update(model.name.encode())
    digest.update(json.dumps([model.config, model.fitted], sort_keys=True).encode())
    for key in sorted(model.weights):
        tensor = model.weights[key].contiguous()
        digest.update(f"{key}:{tensor.dtype}:{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
