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

from baselines.binning import bin_labels, bin_volume, binned, unbinned
from baselines.boxes import BoxCutter, flip_randomly
from baselines.config import Config
from baselines.dataset import Tomogram, read_tomogram
from baselines.model_file import SavedModel
from baselines.priors import DatasetPriors, oriented_volume, read_training_set
from baselines.runtime import Progress, report, stage
from baselines.sampling import background_positions, balanced_choice
from baselines.submission import Picks
from baselines.thresholds import ScoredPicks, best_f1_threshold, hit_labels
from baselines.training import BatchSource, train_network
from baselines.unet.inference import pick_particles, segment
from baselines.unet.model import CLASS_COUNT, UNet3D, segmentation_loss


@dataclasses.dataclass(frozen=True)
class UNetConfig(Config):
    """The network (widths `channels`) sees the tomogram binned by `binning`; it trains on
    `patch_size`³ patches (binned voxels, a multiple of 4) and infers on `tile_size`³ tiles
    that drop `tile_margin` voxels at inner edges. Probabilities are smoothed by a Gaussian of
    `smoothing` binned voxels before peak picking; `candidate_threshold` is the lowest
    probability considered when the threshold is tuned."""

    binning: int = 2
    channels: tuple[int, ...] = (16, 32, 48)
    patch_size: int = 32
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
        binning=1,
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
    network = UNet3D(config.channels)
    draw_batch, weights = _patch_source(fitting, priors, config, device, rng)
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
    hits = hit_labels(truth.occupancy, candidates.coordinates)
    threshold, f1 = best_f1_threshold([ScoredPicks(candidates.scores, hits, len(truth.classes))])
    # never below the candidates' floor, which is also the fallback when nothing was hit
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


def _patch_source(
    tomograms: list[Tomogram],
    priors: DatasetPriors,
    config: UNetConfig,
    device: torch.device,
    rng: np.random.Generator,
) -> tuple[BatchSource, torch.Tensor]:
    """A source of class-balanced (patches, targets) batches on the binned grid, and the
    cross-entropy class weights of the tomograms' class masks."""
    factor, size = config.binning, config.patch_size
    grid = priors.binned(factor)
    volumes, masks, class_masks, tomogram_ids, centres, labels = [], [], [], [], [], []
    for index, tomogram in enumerate(tomograms):
        truth = tomogram.annotated()
        volumes.append(
            BoxCutter(bin_volume(oriented_volume(tomogram, priors, device), factor), size)
        )
        class_masks.append(bin_labels(torch.from_numpy(truth.class_mask).to(device), factor))
        masks.append(BoxCutter(class_masks[-1], size))
        background = background_positions(
            truth.occupancy, priors.z_range, config.background_patches, rng
        )
        for points, point_labels in (
            (truth.centres, truth.classes),
            (background, np.zeros(len(background), np.int64)),
        ):
            tomogram_ids.append(np.full(len(points), index))
            centres.append(binned(np.rint(points), factor).reshape(-1, 3))
            labels.append(point_labels)
    sample_tomogram, sample_centres, sample_labels = (
        np.concatenate(a) for a in (tomogram_ids, centres, labels)
    )
    weights = _class_weights(class_masks, grid.z_range).to(device)
    shift = size // 4

    def draw_batch() -> tuple[torch.Tensor, torch.Tensor]:
        chosen = balanced_choice(sample_labels, config.batch_size, config.background_fraction, rng)
        middles = sample_centres[chosen] + rng.integers(-shift, shift + 1, size=(len(chosen), 3))
        patches, targets = [], []
        for index, middle in zip(sample_tomogram[chosen], middles, strict=True):
            patches.append(volumes[index].cut(middle[None]))
            targets.append(masks[index].cut(middle[None]))
        patch_batch, target_batch = flip_randomly((torch.cat(patches), torch.cat(targets)), rng)
        return patch_batch[:, None], target_batch.long()

    return draw_batch, weights


def _segment_and_pick(
    network: UNet3D,
    tomogram: Tomogram,
    priors: DatasetPriors,
    config: UNetConfig,
    threshold: float,
    progress: Progress | None = None,
) -> Picks:
    """Probabilities of every binned voxel, then the per-class peaks above `threshold`, in
    the tomogram's own voxels."""
    device = next(network.parameters()).device
    volume = bin_volume(oriented_volume(tomogram, priors, device), config.binning)
    grid = priors.binned(config.binning)
    probabilities = segment(
        network,
        volume,
        tile=config.tile_size,
        margin=config.tile_margin,
        z_range=grid.z_range,
        progress=stage(progress, 0.0, 0.9),
    )
    report(progress, "picking peaks", 0.9)
    picks = pick_particles(probabilities, grid, config.smoothing, threshold)
    return Picks(picks.classes, unbinned(picks.coordinates, config.binning), picks.scores)


def _class_weights(class_masks: list[torch.Tensor], z_range: tuple[int, int]) -> torch.Tensor:
    """Cross-entropy weights ∝ 1/√(voxel frequency) of each class in the sample slab, mean 1;
    classes never seen get the largest weight of the others."""
    counts = torch.zeros(CLASS_COUNT, dtype=torch.float64)
    for mask in class_masks:
        slab = mask[z_range[0] : z_range[1]].flatten().long().cpu()
        counts += torch.bincount(slab, minlength=CLASS_COUNT)[:CLASS_COUNT].double()
    frequencies = counts / max(float(counts.sum()), 1.0)
    weights = torch.where(frequencies > 0, frequencies.clamp_min(1e-12).rsqrt(), 0.0)
    weights[weights == 0] = weights.max()
    return (weights / weights.mean()).to(torch.float32)
