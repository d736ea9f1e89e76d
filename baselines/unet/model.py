"""A DeepFinder-style 3-D U-Net: two poolings, skip connections, 13 output classes."""

from __future__ import annotations

import torch
from torch import nn

CLASS_COUNT = 13  # background and 12 particle classes


def _double_conv(inputs: int, outputs: int) -> nn.Sequential:
    """Two 3×3×3 convolutions, each followed by batch norm and ReLU."""
    return nn.Sequential(
        nn.Conv3d(inputs, outputs, 3, padding=1, bias=False),
        nn.BatchNorm3d(outputs),
        nn.ReLU(inplace=True),
        nn.Conv3d(outputs, outputs, 3, padding=1, bias=False),
        nn.BatchNorm3d(outputs),
        nn.ReLU(inplace=True),
    )


class UNet3D(nn.Module):
    """Encoder widths `channels` (three levels); input sides must be multiples of 4.

    Maps a tomogram patch (N, 1, z, y, x) to per-voxel class logits (N, 13, z, y, x).
    """

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        if len(channels) != 3:
            raise ValueError(f"UNet3D needs three channel widths, got {channels}")
        top, middle, bottom = channels
        self.encode_top = _double_conv(1, top)
        self.encode_middle = _double_conv(top, middle)
        self.bottleneck = _double_conv(middle, bottom)
        self.pool = nn.MaxPool3d(2)
        self.up_middle = nn.ConvTranspose3d(bottom, middle, 2, stride=2)
        self.decode_middle = _double_conv(2 * middle, middle)
        self.up_top = nn.ConvTranspose3d(middle, top, 2, stride=2)
        self.decode_top = _double_conv(2 * top, top)
        self.classify = nn.Conv3d(top, CLASS_COUNT, 1)

    def forward(self, patch: torch.Tensor) -> torch.Tensor:
        """Class logits for every voxel of `patch`."""
        top = self.encode_top(patch)
        middle = self.encode_middle(self.pool(top))
        bottom = self.bottleneck(self.pool(middle))
        middle = self.decode_middle(torch.cat([self.up_middle(bottom), middle], dim=1))
        top = self.decode_top(torch.cat([self.up_top(middle), top], dim=1))
        logits: torch.Tensor = self.classify(top)
        return logits


def segmentation_loss(
    logits: torch.Tensor, target: torch.Tensor, class_weights: torch.Tensor, kind: str
) -> torch.Tensor:
    """ "weighted_ce": cross-entropy with `class_weights`; "dice": 1 − mean soft Dice over the
    classes present in the batch (DeepFinder's loss). `target` holds labels 0..12.

    Raises ValueError for another `kind`.
    """
    logits = logits.float()
    if kind == "weighted_ce":
        return nn.functional.cross_entropy(logits, target, weight=class_weights)
    if kind != "dice":
        raise ValueError(f"unknown loss {kind!r}; expected 'dice' or 'weighted_ce'")
    probabilities = torch.softmax(logits, dim=1)
    one_hot = nn.functional.one_hot(target, CLASS_COUNT).movedim(-1, 1).to(probabilities.dtype)
    axes = (0, 2, 3, 4)
    overlap = (probabilities * one_hot).sum(axes)
    total = probabilities.sum(axes) + one_hot.sum(axes)
    present = one_hot.sum(axes) > 0
    dice = (2 * overlap + 1) / (total + 1)
    return 1 - dice[present].mean()
