"""The training loop shared by the networks: Adam, cosine schedule, bf16 on GPU, progress."""

from __future__ import annotations

from collections.abc import Callable

import torch

from baselines.runtime import Progress, mixed_precision, report

BatchSource = Callable[[], tuple[torch.Tensor, torch.Tensor]]
Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def train_network(
    network: torch.nn.Module,
    draw_batch: BatchSource,
    loss_function: Loss,
    *,
    epochs: int,
    steps_per_epoch: int,
    learning_rate: float,
    device: torch.device,
    progress: Progress | None = None,
) -> list[float]:
    """Train `network` in place on batches from `draw_batch` (inputs, targets already on
    `device`); returns the mean loss of each epoch and reports after every epoch."""
    network.to(device).train()
    optimizer = torch.optim.AdamW(network.parameters(), lr=learning_rate, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=learning_rate, total_steps=epochs * steps_per_epoch, pct_start=0.1
    )
    epoch_losses = []
    for epoch in range(epochs):
        total = 0.0
        for _ in range(steps_per_epoch):
            inputs, targets = draw_batch()
            with mixed_precision(device):
                loss = loss_function(network(inputs), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            schedule.step()
            total += float(loss.detach())
        epoch_losses.append(total / steps_per_epoch)
        report(
            progress,
            f"epoch {epoch + 1}/{epochs}: loss {epoch_losses[-1]:.4f}",
            (epoch + 1) / epochs,
        )
    network.eval()
    return epoch_losses
