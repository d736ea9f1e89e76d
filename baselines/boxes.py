"""Cutting cubic boxes (sub-tomograms, training patches) out of volumes, and augmenting them."""

from __future__ import annotations

import numpy as np
import torch


class BoxCutter:
    """Cuts boxes of `size`³ voxels centred on given voxels of a [z, y, x] volume.

    The box around centre c spans [c - size//2, c - size//2 + size) on each axis; parts that
    leave the volume are filled with `fill`.
    """

    def __init__(self, volume: torch.Tensor, size: int, fill: float = 0.0) -> None:
        self.size = size
        self.half = size // 2
        margin = self.size
        self.padded = torch.nn.functional.pad(volume, (margin,) * 6, value=fill)
        self.margin = margin
        self.shape = np.array(volume.shape)

    def cut(self, centres: np.ndarray) -> torch.Tensor:
        """Boxes (N, size, size, size) around integer (z, y, x) `centres` (N, 3).

        Centres are clipped into the volume first, so every box holds some of it.
        """
        starts = np.clip(np.rint(centres).astype(np.int64), 0, self.shape - 1)
        starts = starts - self.half + self.margin
        size = self.size
        boxes = [self.padded[z : z + size, y : y + size, x : x + size] for z, y, x in starts]
        if not boxes:
            return self.padded.new_zeros((0, size, size, size))
        return torch.stack(boxes)


def flip_randomly(
    tensors: tuple[torch.Tensor, ...], rng: np.random.Generator
) -> tuple[torch.Tensor, ...]:
    """Flip each sample of a batch along z, y and x at random, the same way in every tensor.

    Tensors are (N, ..., z, y, x). These flips map a missing wedge about y onto itself, so
    augmented boxes look like real ones.
    """
    count = tensors[0].shape[0]
    flips = rng.random((count, 3)) < 0.5
    flipped: list[list[torch.Tensor]] = [[] for _ in tensors]
    for sample in range(count):
        axes = [axis - 3 for axis in range(3) if flips[sample, axis]]
        for slot, tensor in enumerate(tensors):
            item = tensor[sample]
            flipped[slot].append(torch.flip(item, axes) if axes else item)
    return tuple(torch.stack(items) for items in flipped)
