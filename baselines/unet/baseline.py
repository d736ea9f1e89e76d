"""DeepFinder-style segmentation baseline: a 3-D U-Net labels every voxel with one of 13
classes; picks are per-class peaks of the probabilities, thresholded on a held-out tomogram.

Training draws class-balanced patches: a class is chosen uniformly (or background, for a
fixed fraction of the batch), then a particle of that class, and the patch is centred near it
with a random shift and random wedge-preserving flips. The targets are the simulator's class
masks (the particles' own shapes).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.boxes import BoxCutter, flip_randomly
from baselines.config import Config
from baselines.dataset import Tomogram, read_tomogram
from baselines.model_file import SavedModel
from baselines.priors import DatasetPriors, oriented_volume, read_training_set
from baselines.runtime import Progress, report, stage
from baselines.sampling import background_positions, balanced_choice
from baselines.submission import Picks
from baselines.thresholds import ScoredPicks, best_f1_threshold, hit_labels
from baselines.training import train_network
from baselines.unet.inference import pick_particles, segment
from baselines.unet.model import CLASS_COUNT, UNet3D, segmentation_loss


@dataclasses.dataclass(frozen=True)
class UNetConfig(Config):
    """Network widths `channels`; training on `patch_size`³ patches (multiple of 4); inference
    on `tile_size`³ tiles that drop `tile_margin` voxels at inner edges; probabilities smoothed
    by a Gaussian of `smoothing` voxels before peak picking; `candidate_threshold` is the
    lowest probability considered when the threshold is tuned."""

    channels: tuple[int, ...] = (8, 16, 32)
    patch_size: int = 40
    tile_size: int = 64
    tile_margin: int = 8
    batch_size: int = 4
    epochs: int = 12
    steps_per_epoch: int = 25
    learning_rate: float = 3e-3
    loss: str = "weighted_ce"
    background_fraction: float = 0.2
    background_patches: int = 200
    smoothing: float = 1.0
    candidate_threshold: float = 0.1
    max_training_tomograms: int = 8


CONFIG = UNetConfig
PRESETS = {
    "cpu": UNetConfig(),
    "gpu": UNetConfig(
        channels=(32, 48, 64),
        patch_size=64,
        tile_size=160,
        tile_margin=16,
        batch_size=16,
        epochs=40,
        steps_per_epoch=100,
        learning_rate=1e-3,
    ),
}


def train(
    folders: list[Path],
    config: UNetConfig,
    *,
    device: torch.device,
    rng: np.random.Generator,
    progress: Progress | None,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Train the U-Net on all training tomograms but the last, tune the pick threshold on the
    last (on the only one, when there is one). Returns weights and fitted values.

    Raises BaselineError for bad data.
    """
    report(progress, "reading training tomograms", 0.0)
    tomograms, priors = read_training_set(folders, config.max_training_tomograms)
    fitting, held_out = (
        (tomograms[:-1], tomograms[-1]) if len(tomograms) > 1 else (tomograms, tomograms[0])
    )
    volumes = [BoxCutter(oriented_volume(t, priors, device), config.patch_size) for t in fitting]
    masks = [
        BoxCutter(
            torch.from_numpy(t.annotated().class_mask).to(device),
            config.patch_size,
        )
        for t in fitting
    ]
    tomogram_ids, centres, labels = [], [], []
    for index, tomogram in enumerate(fitting):
        truth = tomogram.annotated()
        background = background_positions(
            truth.occupancy, priors.z_range, config.background_patches, rng
        )
        for points, point_labels in (
            (truth.centres, truth.classes),
            (background, np.zeros(len(background), np.int64)),
        ):
            tomogram_ids.append(np.full(len(points), index))
            centres.append(np.rint(points).astype(np.int64).reshape(-1, 3))
            labels.append(point_labels)
    sample_tomogram, sample_centres, sample_labels = (
        np.concatenate(a) for a in (tomogram_ids, centres, labels)
    )
    weights = _class_weights([t.annotated().class_mask for t in fitting], priors.z_range).to(device)
    shift = config.patch_size // 4

    def draw_batch() -> tuple[torch.Tensor, torch.Tensor]:
        chosen = balanced_choice(sample_labels, config.batch_size, config.background_fraction, rng)
        middles = sample_centres[chosen] + rng.integers(-shift, shift + 1, size=(len(chosen), 3))
        patches, targets = [], []
        for index, middle in zip(sample_tomogram[chosen], middles, strict=True):
            patches.append(volumes[index].cut(middle[None]))
            targets.append(masks[index].cut(middle[None]))
        patch_batch, target_batch = flip_randomly((torch.cat(patches), torch.cat(targets)), rng)
        return patch_batch[:, None], target_batch.long()

    network = UNet3D(config.channels)
    train_network(
        network,
        draw_batch,
        lambda logits, target: segmentation_loss(logits, target, weights, config.loss),
        epochs=config.epochs,
        steps_per_epoch=config.steps_per_epoch,
        learning_rate=config.learning_rate,
        device=device,
        progress=stage(progress, 0.05, 0.85),
    )
    report(progress, f"tuning the threshold on {held_out.name}", 0.85)
    candidates = _segment_and_pick(network, held_out, priors, config, config.candidate_threshold)
    truth = held_out.annotated()
    threshold, f1 = best_f1_threshold(
        [
            ScoredPicks(
                candidates.scores,
                hit_labels(truth.occupancy, candidates.coordinates),
                len(truth.classes),
            )
        ]
    )
    threshold = (
        max(threshold, config.candidate_threshold)
        if np.isfinite(threshold)
        else config.candidate_threshold
    )
    report(progress, f"threshold {threshold:.3f} (held-out F1 {f1:.3f})", 1.0)
    fitted = {
        "priors": priors.to_dict(),
        "threshold": threshold,
        "held_out_f1": f1,
        "held_out": held_out.name,
    }
    return network.state_dict(), fitted


def predict(
    model: SavedModel,
    config: UNetConfig,
    folder: Path,
    *,
    device: torch.device,
    progress: Progress | None,
) -> Picks:
    """Segment the tomogram in `folder` and pick particles above the tuned threshold."""
    priors = DatasetPriors.from_dict(model.fitted["priors"])
    network = UNet3D(config.channels)
    network.load_state_dict(model.weights)
    network.to(device)
    tomogram = read_tomogram(folder)
    return _segment_and_pick(
        network, tomogram, priors, config, float(model.fitted["threshold"]), progress
    )


def _segment_and_pick(
    network: UNet3D,
    tomogram: Tomogram,
    priors: DatasetPriors,
    config: UNetConfig,
    threshold: float,
    progress: Progress | None = None,
) -> Picks:
    """Probabilities of every voxel, then the per-class peaks above `threshold`."""
    device = next(network.parameters()).device
    volume = oriented_volume(tomogram, priors, device)
    probabilities = segment(
        network,
        volume,
        tile=config.tile_size,
        margin=config.tile_margin,
        z_range=priors.z_range,
        progress=stage(progress, 0.0, 0.9),
    )
    report(progress, "picking peaks", 0.9)
    return pick_particles(probabilities, priors, config.smoothing, threshold)


def _class_weights(class_masks: list[np.ndarray], z_range: tuple[int, int]) -> torch.Tensor:
    """Cross-entropy weights ∝ 1/√(voxel frequency) of each class in the sample slab, mean 1;
    classes never seen get the largest weight of the others."""
    counts = sum(
        np.bincount(mask[z_range[0] : z_range[1]].ravel(), minlength=CLASS_COUNT)[:CLASS_COUNT]
        for mask in class_masks
    )
    frequencies = np.asarray(counts, dtype=np.float64) / max(float(np.sum(counts)), 1.0)
    weights = np.where(frequencies > 0, 1 / np.sqrt(np.maximum(frequencies, 1e-12)), 0.0)
    weights[weights == 0] = weights.max()
    return torch.tensor(weights / weights.mean(), dtype=torch.float32)
