"""Template matching baseline: FLCC over a rotation set with wedge-filtered class templates.

The simulator's template of each class, binned like the tomogram, is rotated over an evenly
spread rotation set, filtered by the dataset's missing wedge and a low-pass, and matched
against the tomogram. Per-rotation score maps are normalised by their standard deviation, the
best class and rotation are kept at every voxel, and peaks are taken from the strongest down,
each suppressing the others within its class radius. The detection threshold is fitted on a
training tomogram (best localization F1); the false-alarm threshold (one expected false peak
in Gaussian noise over all voxels, rotations and classes) is recorded beside it and can be
chosen instead.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.special import erfcinv

from baselines.binning import bin_volume, unbinned
from baselines.config import Config
from baselines.dataset import read_tilt_range, read_tomogram
from baselines.fourier import gaussian_transfer, wedge_mask
from baselines.model_file import SavedModel
from baselines.peaks import local_maxima, suppress_close
from baselines.priors import DatasetPriors, oriented_volume, read_training_set
from baselines.runtime import Progress, report, stage
from baselines.submission import Picks
from baselines.template.matching import SearchVolume, match_template, spherical_mask, support_radius
from baselines.template.rotations import rotation_set
from baselines.template.templates import class_templates
from baselines.thresholds import ScoredPicks, best_f1_threshold, hit_labels
from evaluation.classes import CLASSES


@dataclasses.dataclass(frozen=True)
class TemplateConfig(Config):
    """Search on volumes binned by `binning`, over rotations `angular_step` degrees apart
    (`rotation_batch` at a time), with templates low-passed by a Gaussian of `lowpass_sigma`
    binned voxels and masked by a sphere around their voxels above `support_fraction` of
    their maximum. `threshold_mode` "fitted" uses the threshold fitted on `fit_tomograms`
    training tomograms, "false_alarm" the statistical one."""

    binning: int = 2
    angular_step: float = 30.0
    rotation_batch: int = 8
    lowpass_sigma: float = 1.0
    support_fraction: float = 0.1
    fit_tomograms: int = 1
    threshold_mode: str = "fitted"


CONFIG = TemplateConfig
PRESETS = {
    "cpu": TemplateConfig(),
    "gpu": TemplateConfig(angular_step=12.0, rotation_batch=32, fit_tomograms=2),
}


@dataclasses.dataclass(frozen=True)
class _ScoreMaps:
    """Best score (σ units), its class index 1..12 and rotation index at every binned voxel."""

    score: torch.Tensor
    classes: torch.Tensor
    rotations: torch.Tensor


def train(
    folders: list[Path],
    config: TemplateConfig,
    *,
    device: torch.device,
    rng: np.random.Generator,
    progress: Progress | None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Prepare the binned templates and fit the detection threshold on the first
    `fit_tomograms` training tomograms. Raises BaselineError for bad data."""
    if config.threshold_mode not in ("fitted", "false_alarm"):
        raise ValueError(
            f"threshold_mode must be 'fitted' or 'false_alarm', got {config.threshold_mode!r}"
        )
    report(progress, "reading training tomograms", 0.0)
    tomograms, priors = read_training_set(folders, config.fit_tomograms)
    tilt_range = read_tilt_range(folders[0])
    templates = class_templates(tomograms[0].voxel_size, config.binning)
    angles = rotation_set(config.angular_step)
    scored = []
    for index, tomogram in enumerate(tomograms):
        part = stage(
            progress,
            0.05 + 0.95 * index / len(tomograms),
            0.05 + 0.95 * (index + 1) / len(tomograms),
        )
        maps = _score_tomogram(
            oriented_volume(tomogram, priors, device), templates, angles, tilt_range, config, part
        )
        candidates = _peaks(maps, priors, config.binning, 0.0, angles)
        truth = tomogram.annotated()
        scored.append(
            ScoredPicks(
                candidates.scores,
                hit_labels(truth.occupancy, candidates.coordinates),
                len(truth.classes),
            )
        )
    threshold, f1 = best_f1_threshold(scored)
    slab_voxels = (priors.z_range[1] - priors.z_range[0]) * math.prod(tomograms[0].volume.shape[1:])
    trials = slab_voxels / config.binning**3 * len(angles) * len(CLASSES)
    false_alarm = float(math.sqrt(2) * erfcinv(2 / trials))
    report(
        progress,
        f"threshold {threshold:.3f}σ (training F1 {f1:.3f}), false-alarm {false_alarm:.2f}σ",
        1.0,
    )
    fitted = {
        "priors": priors.to_dict(),
        "tilt_range": list(tilt_range),
        "threshold": threshold,
        "training_f1": f1,
        "false_alarm_threshold": false_alarm,
    }
    weights = {
        f"template.{name}": template.cpu()
        for name, template in zip(CLASSES, templates, strict=True)
    }
    return weights, fitted


def predict(
    model: SavedModel,
    config: TemplateConfig,
    folder: Path,
    *,
    device: torch.device,
    progress: Progress | None,
) -> Picks:
    """Match every class template against the tomogram in `folder` and pick the peaks above
    the threshold of `config.threshold_mode`; picks carry the matched orientation."""
    priors = DatasetPriors.from_dict(model.fitted["priors"])
    templates = [model.weights[f"template.{name}"].to(device) for name in CLASSES]
    angles = rotation_set(config.angular_step)
    tilt_range = tuple(model.fitted["tilt_range"])
    volume = oriented_volume(read_tomogram(folder), priors, device)
    maps = _score_tomogram(
        volume, templates, angles, (tilt_range[0], tilt_range[1]), config, stage(progress, 0, 0.95)
    )
    key = "threshold" if config.threshold_mode == "fitted" else "false_alarm_threshold"
    return _peaks(maps, priors, config.binning, float(model.fitted[key]), angles)


def _score_tomogram(
    volume: torch.Tensor,
    templates: list[torch.Tensor],
    angles: np.ndarray,
    tilt_range: tuple[float, float],
    config: TemplateConfig,
    progress: Progress | None,
) -> _ScoreMaps:
    """Match all class templates against the binned `volume`; keep the best class per voxel."""
    search = SearchVolume.of(bin_volume(volume, config.binning))
    best = _ScoreMaps(
        torch.full(search.shape, -torch.inf, device=volume.device),
        torch.zeros(search.shape, dtype=torch.int64, device=volume.device),
        torch.zeros(search.shape, dtype=torch.int32, device=volume.device),
    )
    for index, template in enumerate(templates):
        side = template.shape[0]
        shape = (side, side, side)
        box_filter = wedge_mask(shape, tilt_range, volume.device) * gaussian_transfer(
            shape, config.lowpass_sigma, volume.device
        )
        mask = spherical_mask(
            side, support_radius(template, config.support_fraction), volume.device
        )
        score, rotation = match_template(
            search,
            template,
            mask,
            angles,
            box_filter,
            batch_size=config.rotation_batch,
            progress=stage(progress, index / len(templates), (index + 1) / len(templates)),
        )
        better = score > best.score
        best = _ScoreMaps(
            torch.where(better, score, best.score),
            torch.where(better, index + 1, best.classes),
            torch.where(better, rotation, best.rotations),
        )
        report(progress, f"matched {CLASSES[index]}", (index + 1) / len(templates))
    return best


def _peaks(
    maps: _ScoreMaps, priors: DatasetPriors, binning: int, threshold: float, angles: np.ndarray
) -> Picks:
    """Peaks of the best-score map above `threshold`, strongest first, each suppressing weaker
    ones within its class radius; coordinates in unbinned voxels."""
    grid = priors.binned(binning)
    radius = max(int(min(grid.class_radii) / 2), 1)
    found, scores = local_maxima(maps.score, radius, threshold, grid.z_range)
    index = torch.from_numpy(found).to(maps.score.device)
    classes = maps.classes[index[:, 0], index[:, 1], index[:, 2]].cpu().numpy()
    rotations = maps.rotations[index[:, 0], index[:, 1], index[:, 2]].cpu().numpy()
    kept = suppress_close(found, scores, grid.radius_of(classes))
    return Picks(
        classes[kept], unbinned(found[kept], binning), scores[kept], angles[rotations[kept]]
    )
