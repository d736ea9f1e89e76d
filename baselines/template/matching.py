"""Fast local normalised cross-correlation (FLCC, Roseman 2003) in Fourier space.

The template is normalised inside a spherical mask, so the tomogram's local standard deviation
under the mask is the same for every rotation and is computed once per class. Each rotation
then costs one forward and one inverse FFT of the tomogram's size, done in batches.

Correlations are computed with templates placed at the corner of the volume: the value at
voxel x belongs to a template centred at x + h (h the box half-width), which one roll of the
final map puts right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from baselines.runtime import Progress, report
from baselines.template.rotations import rotate_volumes, rotation_matrices


def spherical_mask(side: int, radius: float, device: torch.device) -> torch.Tensor:
    """A (side³) float mask, 1 within `radius` voxels of the centre voxel, else 0."""
    axis = torch.arange(side, device=device, dtype=torch.float32) - side // 2
    distance = axis.view(-1, 1, 1) ** 2 + axis.view(1, -1, 1) ** 2 + axis.view(1, 1, -1) ** 2
    return (distance <= radius**2).to(torch.float32)


def support_radius(template: torch.Tensor, fraction: float) -> float:
    """Distance from the centre voxel to the farthest voxel above `fraction` of the maximum."""
    side = template.shape[0]
    axis = torch.arange(side, device=template.device, dtype=torch.float32) - side // 2
    distance = (
        axis.view(-1, 1, 1) ** 2 + axis.view(1, -1, 1) ** 2 + axis.view(1, 1, -1) ** 2
    ).sqrt()
    inside = template > fraction * template.max()
    return float(distance[inside].max()) + 1.0 if bool(inside.any()) else side / 2


@dataclass(frozen=True)
class SearchVolume:
    """A tomogram [z, y, x] prepared for matching: its spectrum and that of its square."""

    shape: tuple[int, int, int]
    spectrum: torch.Tensor
    squared_spectrum: torch.Tensor

    @classmethod
    def of(cls, volume: torch.Tensor) -> SearchVolume:
        """Prepare `volume` (float32)."""
        shape = (volume.shape[0], volume.shape[1], volume.shape[2])
        return cls(shape, torch.fft.rfftn(volume), torch.fft.rfftn(volume**2))

    def correlate(self, boxes: torch.Tensor, spectrum: torch.Tensor | None = None) -> torch.Tensor:
        """Cross-correlations (B, z, y, x) of corner-placed `boxes` (B, s, s, s) with the volume
        (or with the volume whose spectrum is given)."""
        box_spectra = torch.fft.rfftn(boxes, s=self.shape, dim=(-3, -2, -1))
        target = self.spectrum if spectrum is None else spectrum
        correlation: torch.Tensor = torch.fft.irfftn(
            box_spectra.conj() * target, s=self.shape, dim=(-3, -2, -1)
        )
        return correlation

    def local_deviation(self, mask: torch.Tensor) -> torch.Tensor:
        """Standard deviation of the volume under the corner-placed `mask`, at every shift."""
        count = float(mask.sum())
        mean = self.correlate(mask[None])[0] / count
        mean_square = self.correlate(mask[None], self.squared_spectrum)[0] / count
        return torch.sqrt(torch.clamp(mean_square - mean**2, min=1e-6))


def match_template(
    search: SearchVolume,
    template: torch.Tensor,
    mask: torch.Tensor,
    angles: np.ndarray,
    box_filter: torch.Tensor,
    *,
    batch_size: int,
    progress: Progress | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Best score over rotations at every voxel, and the index in `angles` that gave it.

    Each rotated template is filtered in its box by `box_filter` (an rfftn multiplier: missing
    wedge and low-pass), normalised to zero mean and unit variance inside `mask`, correlated
    with the tomogram, divided by the local standard deviation (giving the local normalised
    cross-correlation) and then by its own standard deviation over the volume, so that the
    scores of every rotation and class read in units of σ.
    """
    side = template.shape[0]
    deviation = search.local_deviation(mask) * mask.sum()
    matrices = torch.from_numpy(rotation_matrices(angles)).to(template.device, torch.float32)
    best = torch.full(search.shape, -torch.inf, device=template.device)
    best_index = torch.zeros(search.shape, dtype=torch.int32, device=template.device)
    inside = mask > 0
    for start in range(0, len(angles), batch_size):
        rotated = rotate_volumes(template, matrices[start : start + batch_size])
        rotated = torch.fft.irfftn(
            torch.fft.rfftn(rotated, dim=(-3, -2, -1)) * box_filter, s=(side,) * 3, dim=(-3, -2, -1)
        )
        values = rotated[:, inside]
        normalised = (rotated - values.mean(1).view(-1, 1, 1, 1)) / values.std(1).clamp_min(
            1e-12
        ).view(-1, 1, 1, 1)
        scores = search.correlate(normalised * mask) / deviation
        scores = scores / scores.flatten(1).std(1).clamp_min(1e-12).view(-1, 1, 1, 1)
        batch_best, batch_index = scores.max(0)
        better = batch_best > best
        best = torch.where(better, batch_best, best)
        best_index = torch.where(better, batch_index.to(torch.int32) + start, best_index)
        report(
            progress,
            f"rotation {min(start + batch_size, len(angles))}/{len(angles)}",
            min(start + batch_size, len(angles)) / len(angles),
        )
    shift = (side // 2,) * 3
    return torch.roll(best, shift, (0, 1, 2)), torch.roll(best_index, shift, (0, 1, 2))
