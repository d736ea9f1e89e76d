"""DoG-CB3D: Difference-of-Gaussians picking, then a 3-D CNN that names (or rejects) each pick.

Training fits the DoG detection threshold on the training tomograms (best localization F1 of
the raw DoG picks), then trains the classifier on boxes around true particle centres, around
the DoG picks themselves (labelled by the particle they hit, or background) and at random
background positions, with class-balanced batches.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.binning import bin_volume, binned
from baselines.boxes import BoxCutter, flip_randomly
from baselines.config import Config
from baselines.dataset import Tomogram, read_tomogram
from baselines.dog.classifier import SubtomogramClassifier, classify_boxes
from baselines.dog.detector import dog_candidates, scale_space
from baselines.model_file import SavedModel
from baselines.priors import DatasetPriors, oriented_volume, read_training_set
from baselines.runtime import Progress, report, stage
from baselines.sampling import background_positions, balanced_choice
from baselines.submission import Picks
from baselines.thresholds import ScoredPicks, best_f1_threshold, hit_labels
from baselines.training import train_network


@dataclasses.dataclass(frozen=True)
class DogConfig(Config):
    """DoG scales grow by `scale_ratio`; peaks keep `min_distance` voxels apart; the classifier
    sees boxes of `box_size`³ voxels binned by `binning`, shifted by up to `jitter` voxels and
    flipped in training, and draws background for `background_fraction` of each batch."""

    scale_ratio: float = 1.2
    min_distance: float = 10.0
    box_size: int = 28
    binning: int = 2
    channels: tuple[int, ...] = (16, 32, 64)
    hidden: int = 128
    epochs: int = 16
    steps_per_epoch: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-3
    jitter: int = 2
    background_fraction: float = 0.3
    background_boxes: int = 400
    max_training_tomograms: int = 8


CONFIG = DogConfig
PRESETS = {
    "cpu": DogConfig(),
    "gpu": DogConfig(
        binning=1,
        channels=(32, 64, 128),
        hidden=1024,
        epochs=30,
        steps_per_epoch=100,
        batch_size=128,
        learning_rate=1e-3,
    ),
}


@dataclasses.dataclass(frozen=True)
class _Samples:
    """Classifier training boxes: tomogram index, (z, y, x) centre and label 0..12 of each."""

    tomogram: np.ndarray
    centres: np.ndarray
    labels: np.ndarray


def train(
    folders: list[Path],
    config: DogConfig,
    *,
    device: torch.device,
    rng: np.random.Generator,
    progress: Progress | None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Fit the threshold and the classifier on the training tomograms in `folders`.

    Returns the classifier's weights and the fitted values. Raises BaselineError for bad data.
    """
    report(progress, "reading training tomograms", 0.0)
    tomograms, priors = read_training_set(folders, config.max_training_tomograms)
    sigmas = scale_space(min(priors.class_radii), max(priors.class_radii), config.scale_ratio)
    volumes = [oriented_volume(tomogram, priors, device) for tomogram in tomograms]
    candidates, scored = [], []
    for index, (tomogram, volume) in enumerate(zip(tomograms, volumes, strict=True)):
        report(progress, f"DoG on {tomogram.name}", 0.05 + 0.15 * index / len(tomograms))
        found = dog_candidates(
            volume, sigmas, config.scale_ratio, config.min_distance, 0.0, priors.z_range
        )
        candidates.append(found)
        truth = tomogram.annotated()
        scored.append(
            ScoredPicks(found[1], hit_labels(truth.occupancy, found[0]), len(truth.classes))
        )
    threshold, f1 = best_f1_threshold(scored)
    report(progress, f"DoG threshold {threshold:.4g} (training F1 {f1:.3f})", 0.2)
    samples = _training_samples(tomograms, candidates, priors, config, rng)
    network = _classifier(config)
    cutters = [_box_cutter(volume, config) for volume in volumes]

    def draw_batch() -> tuple[torch.Tensor, torch.Tensor]:
        chosen = balanced_choice(samples.labels, config.batch_size, config.background_fraction, rng)
        shifts = rng.integers(-config.jitter, config.jitter + 1, size=(len(chosen), 3))
        centres = binned(samples.centres[chosen] + shifts, config.binning)
        boxes = torch.cat(
            [
                cutters[samples.tomogram[i]].cut(centre[None])
                for i, centre in zip(chosen, centres, strict=True)
            ]
        )
        (boxes,) = flip_randomly((boxes,), rng)
        labels = torch.from_numpy(samples.labels[chosen]).to(device)
        return boxes[:, None], labels

    train_network(
        network,
        draw_batch,
        torch.nn.functional.cross_entropy,
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        learning_rate=config.learning_rate,
        device=device,
        progress=stage(progress, 0.2, 1.0),
    )
    fitted = {
        "priors": priors.to_dict(),
        "threshold": threshold,
        "training_f1": f1,
        "sigmas": sigmas,
    }
    return network.state_dict(), fitted


def predict(
    model: SavedModel,
    config: DogConfig,
    folder: Path,
    *,
    device: torch.device,
    progress: Progress | None,
) -> Picks:
    """DoG picks above the fitted threshold on the tomogram in `folder`, each named by the CNN;
    picks it finds more likely background than particle are dropped. Score: DoG response ×
    (1 − P(background))."""
    priors = DatasetPriors.from_dict(model.fitted["priors"])
    report(progress, "DoG filtering", 0.0)
    volume = oriented_volume(read_tomogram(folder), priors, device)
    coordinates, responses = dog_candidates(
        volume,
        list(model.fitted["sigmas"]),
        config.scale_ratio,
        config.min_distance,
        float(model.fitted["threshold"]),
        priors.z_range,
    )
    report(progress, f"classifying {len(responses)} picks", 0.5)
    network = _classifier(config)
    network.load_state_dict(model.weights)
    network.to(device)
    centres = torch.from_numpy(binned(coordinates, config.binning))
    probabilities = classify_boxes(network, _box_cutter(volume, config), centres, batch_size=256)
    # the class is the likeliest particle class; a pick goes only when background is likelier
    # than all particle classes together
    classes = probabilities[:, 1:].argmax(dim=1).numpy() + 1
    particle = probabilities[:, 0].numpy() <= 0.5
    scores = responses * (1 - probabilities[:, 0].numpy())
    report(progress, f"{int(particle.sum())} particles", 1.0)
    return Picks(classes[particle], coordinates[particle].astype(np.float64), scores[particle])


def _classifier(config: DogConfig) -> SubtomogramClassifier:
    """The classifier network of `config`."""
    return SubtomogramClassifier(config.box_size // config.binning, config.channels, config.hidden)


def _box_cutter(volume: torch.Tensor, config: DogConfig) -> BoxCutter:
    """Cuts classifier boxes from the binned `volume`."""
    return BoxCutter(bin_volume(volume, config.binning), config.box_size // config.binning)


def _training_samples(
    tomograms: list[Tomogram],
    candidates: list[tuple[np.ndarray, np.ndarray]],
    priors: DatasetPriors,
    config: DogConfig,
    rng: np.random.Generator,
) -> _Samples:
    """True centres, DoG picks (labelled by what they hit) and random background positions."""
    tomogram_ids, centres, labels = [], [], []
    for index, (tomogram, (picked, _)) in enumerate(zip(tomograms, candidates, strict=True)):
        truth = tomogram.annotated()
        hits = hit_labels(truth.occupancy, picked)
        picked_labels = np.where(hits > 0, truth.classes[np.maximum(hits, 1) - 1], 0)
        background = background_positions(
            truth.occupancy, priors.z_range, config.background_boxes, rng
        )
        for points, point_labels in (
            (truth.centres, truth.classes),
            (picked, picked_labels),
            (background, np.zeros(len(background), dtype=np.int64)),
        ):
            centres.append(np.rint(points).astype(np.int64).reshape(-1, 3))
            labels.append(np.asarray(point_labels, dtype=np.int64))
            tomogram_ids.append(np.full(len(points), index))
    return _Samples(np.concatenate(tomogram_ids), np.concatenate(centres), np.concatenate(labels))
