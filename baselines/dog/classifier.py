"""The sub-tomogram classifier of DoG-CB3D: a small 3-D CNN over 13 classes (0 = background)."""

from __future__ import annotations

import torch
from torch import nn

from baselines.boxes import BoxCutter
from baselines.runtime import mixed_precision

CLASS_COUNT = 13  # 12 particle classes and background


class SubtomogramClassifier(nn.Module):
    """Blocks of two 3×3×3 convolutions (batch norm, ReLU) and a 2× max-pool, one block per
    entry of `channels`, then two fully connected layers with dropout."""

    def __init__(self, box_size: int, channels: tuple[int, ...], hidden: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        previous = 1
        for width in channels:
            for _ in range(2):
                layers += [nn.Conv3d(previous, width, 3, padding=1), nn.BatchNorm3d(width)]
                layers.append(nn.ReLU(inplace=True))
                previous = width
            layers.append(nn.MaxPool3d(2))
        self.features = nn.Sequential(*layers)
        side = box_size // 2 ** len(channels)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(previous * side**3, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(hidden, CLASS_COUNT),
        )

    def forward(self, boxes: torch.Tensor) -> torch.Tensor:
        """Class logits (N, 13) of boxes (N, 1, s, s, s)."""
        logits: torch.Tensor = self.head(self.features(boxes))
        return logits


@torch.no_grad()
def classify_boxes(
    network: SubtomogramClassifier, cutter: BoxCutter, centres: torch.Tensor, batch_size: int
) -> torch.Tensor:
    """Class probabilities (N, 13) of the boxes around (z, y, x) `centres` (N, 3)."""
    network.eval()
    device = cutter.padded.device
    probabilities = []
    for start in range(0, len(centres), batch_size):
        boxes = cutter.cut(centres[start : start + batch_size].numpy())[:, None]
        with mixed_precision(device):
            logits = network(boxes)
        probabilities.append(torch.softmax(logits.float(), dim=1).cpu())
    return torch.cat(probabilities) if probabilities else torch.zeros(0, CLASS_COUNT)
