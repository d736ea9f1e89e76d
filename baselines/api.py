"""The public entry points: train a baseline on a dataset, predict a tomogram with it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from baselines.config import Config, resolve_preset
from baselines.dataset import dataset_tomograms
from baselines.errors import BaselineError
from baselines.model_file import SavedModel, code_version, load_model, save_model, weights_checksum
from baselines.names import NAMES
from baselines.runtime import Progress, report, seed_everything, select_device
from baselines.submission import Picks, write_submission


class Baseline(Protocol):
    """What each baseline package (`baselines.dog`, `.template`, `.unet`) provides."""

    CONFIG: type[Config]
    PRESETS: dict[str, Any]

    def train(
        self,
        folders: list[Path],
        config: Any,
        *,
        device: torch.device,
        rng: np.random.Generator,
        progress: Progress | None,
    ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]: ...

    def predict(
        self,
        model: SavedModel,
        config: Any,
        folder: Path,
        *,
        device: torch.device,
        progress: Progress | None,
    ) -> Picks: ...


def baseline_module(name: str) -> Baseline:
    """The package implementing baseline `name`; raises BaselineError for an unknown name."""
    if name not in NAMES:
        raise BaselineError(f"unknown baseline {name!r}; expected one of {', '.join(NAMES)}")
    module: Baseline = importlib.import_module(f"baselines.{name}")
    return module


def train(
    name: str,
    dataset_dir: Path | str,
    model_out: Path | str,
    *,
    config: str | Config = "auto",
    seed: int = 0,
    progress: Progress | None = None,
) -> Path:
    """Train baseline `name` on the training tomograms of `dataset_dir`; write the model file.

    `config` picks the preset: "cpu" (reduced), "gpu" (full) or "auto" (gpu when CUDA is
    available); or it is a configuration object of the baseline (e.g. a preset changed with
    `dataclasses.replace`). The same seed gives the same model on the same device. Returns
    `model_out`. Raises BaselineError for an unknown name or preset, a configuration of
    another baseline, and unreadable dataset files.
    """
    module = baseline_module(name)
    device = select_device()
    if isinstance(config, Config):
        if not isinstance(config, module.CONFIG):
            raise BaselineError(f"{type(config).__name__} does not configure baseline {name!r}")
        preset, settings = "custom", config
    else:
        preset = resolve_preset(config, device)
        settings = module.PRESETS[preset]
    rng = seed_everything(seed)
    folders = dataset_tomograms(dataset_dir, "train")
    report(progress, f"training {name} ({preset} preset) on {device.type}", 0.0)
    weights, fitted = module.train(folders, settings, device=device, rng=rng, progress=progress)
    fitted = {**fitted, "preset": preset, "seed": seed}
    model = SavedModel(name, settings.to_dict(), fitted, weights, code_version())
    return save_model(model, model_out)


def predict(
    name: str,
    model_path: Path | str,
    tomogram_dir: Path | str,
    out_path: Path | str,
    *,
    progress: Progress | None = None,
) -> Path:
    """Pick particles in the tomogram folder `tomogram_dir` with a trained baseline and write a
    native submission (`CLASS X Y Z [PHI THETA PSI] SCORE`, surest first) to `out_path`.

    Raises BaselineError for an unknown name, a model file of another baseline or of an
    unknown format, unreadable tomogram files, and when nothing is found (a submission
    needs at least one prediction).
    """
    module = baseline_module(name)
    model = load_model(model_path)
    if model.name != name:
        raise BaselineError(f"{model_path}: holds a {model.name!r} model, not {name!r}")
    settings = module.CONFIG.from_dict(model.config)
    device = select_device()
    seed_everything(int(model.fitted.get("seed", 0)))
    with torch.no_grad():
        picks = module.predict(
            model, settings, Path(tomogram_dir), device=device, progress=progress
        )
    if len(picks) == 0:
        raise BaselineError(f"{name} found no particle in {tomogram_dir}: nothing to submit")
    comments = [
        f"tomobench baseline {name}",
        f"code_version {model.code_version}",
        f"weights_sha256 {weights_checksum(model_path)}",
    ]
    return write_submission(picks, out_path, comments)
