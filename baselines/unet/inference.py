"""Tiled segmentation of a whole tomogram and particle picks from the class probabilities."""

from __future__ import annotations

import numpy as np
import torch

from baselines.fourier import gaussian_transfer
from baselines.peaks import local_maxima, suppress_close
from baselines.priors import DatasetPriors
from baselines.runtime import Progress, mixed_precision, report
from baselines.submission import Picks
from baselines.unet.model import CLASS_COUNT, UNet3D


def tile_starts(length: int, tile: int, margin: int) -> list[int]:
    """Starts of tiles of `tile` voxels covering [0, length) so that the tile centres, with
    `margin` voxels cut off each inner side, still cover every voxel. Needs length >= tile."""
    stride = tile - 2 * margin
    starts = list(range(0, max(length - tile, 0) + 1, stride))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


@torch.no_grad()
def segment(
    network: UNet3D,
    volume: torch.Tensor,
    *,
    tile: int,
    margin: int,
    z_range: tuple[int, int],
    progress: Progress | None = None,
) -> torch.Tensor:
    """Class probabilities (13, z, y, x) as float16 on the volume's device.

    The network runs on overlapping tiles of `tile`³ voxels over slices `z_range` (with
    `margin` slices of context around it); each tile keeps only its centre, `margin` voxels in
    from every inner edge, so no voxel is predicted from a cut-off neighbourhood. Voxels
    outside `z_range` are background with certainty.
    """
    network.eval()
    low, high = max(z_range[0] - margin, 0), min(z_range[1] + margin, volume.shape[0])
    region = volume[low:high]
    # pad each axis up to one tile; the padding is cut off again below
    padding = [max(tile - size, 0) for size in region.shape]
    padded = torch.nn.functional.pad(region, (0, padding[2], 0, padding[1], 0, padding[0]))
    shape = padded.shape
    probabilities = torch.zeros((CLASS_COUNT, *shape), dtype=torch.float16, device=volume.device)
    starts = [tile_starts(size, tile, margin) for size in shape]
    tiles = [(z, y, x) for z in starts[0] for y in starts[1] for x in starts[2]]
    for number, (z, y, x) in enumerate(tiles):
        with mixed_precision(volume.device):
            logits = network(padded[None, None, z : z + tile, y : y + tile, x : x + tile])
        tile_probabilities = torch.softmax(logits[0].float(), dim=0).to(torch.float16)
        keep = [
            (margin if start > 0 else 0, tile - margin if start + tile < size else tile)
            for start, size in zip((z, y, x), shape, strict=True)
        ]
        (z0, z1), (y0, y1), (x0, x1) = keep
        probabilities[:, z + z0 : z + z1, y + y0 : y + y1, x + x0 : x + x1] = tile_probabilities[
            :, z0:z1, y0:y1, x0:x1
        ]
        report(progress, f"tile {number + 1}/{len(tiles)}", (number + 1) / len(tiles))
    full = torch.zeros((CLASS_COUNT, *volume.shape), dtype=torch.float16, device=volume.device)
    full[0] = 1.0
    full[:, low:high] = probabilities[:, : high - low, : volume.shape[1], : volume.shape[2]]
    return full


def pick_particles(
    probabilities: torch.Tensor, priors: DatasetPriors, smoothing: float, threshold: float
) -> Picks:
    """Per-class peaks of the Gaussian-smoothed class probabilities, one pick per particle.

    For each class, voxels that are the maximum of a neighbourhood half the class radius wide
    and whose smoothed probability exceeds `threshold` become candidates; candidates of all
    classes then suppress each other within the radius of the surer one's class.
    """
    shape = (probabilities.shape[1], probabilities.shape[2], probabilities.shape[3])
    transfer = gaussian_transfer(shape, smoothing, probabilities.device)
    coordinates, scores, classes = [], [], []
    for class_index in range(1, CLASS_COUNT):
        probability = probabilities[class_index].float()
        if float(probability.max()) <= threshold:
            continue
        smoothed = torch.fft.irfftn(torch.fft.rfftn(probability) * transfer, s=shape)
        radius = max(int(priors.class_radii[class_index - 1] / 2), 1)
        found, values = local_maxima(smoothed, radius, threshold, priors.z_range)
        coordinates.append(found)
        scores.append(values)
        classes.append(np.full(len(values), class_index))
    if not scores:
        return Picks(np.zeros(0, np.int64), np.zeros((0, 3)), np.zeros(0))
    candidates = Picks(
        np.concatenate(classes),
        np.concatenate(coordinates).astype(np.float64),
        np.concatenate(scores),
    )
    kept = suppress_close(
        candidates.coordinates, candidates.scores, priors.radius_of(candidates.classes)
    )
    return candidates.select(kept)
