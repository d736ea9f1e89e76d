"""Where and how the baselines run: device choice, seeds, mixed precision, progress."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator

import numpy as np
import torch

# A progress callback receives a short message and the fraction of the whole job done (0..1).
Progress = Callable[[str, float], None]


def select_device() -> torch.device:
    """CUDA when a GPU is visible to PyTorch, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and PyTorch (all devices) and return a NumPy generator from `seed`.

    cuDNN is told to pick deterministic kernels so that a seed reproduces a GPU run too.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return np.random.default_rng(seed)


@contextlib.contextmanager
def mixed_precision(device: torch.device) -> Iterator[None]:
    """bf16 autocast on a GPU; full float32 on the CPU, where bf16 convolutions are slow."""
    if device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            yield
    else:
        yield


def report(progress: Progress | None, message: str, fraction: float) -> None:
    """Send `message` at `fraction` (clipped to 0..1) to `progress`, if there is one."""
    if progress is not None:
        progress(message, min(max(fraction, 0.0), 1.0))


def stage(progress: Progress | None, start: float, end: float) -> Progress | None:
    """A callback that maps a sub-task's 0..1 progress onto `start..end` of `progress`."""
    if progress is None:
        return None
    parent = progress

    def scaled(message: str, fraction: float) -> None:
        parent(message, start + (end - start) * min(max(fraction, 0.0), 1.0))

    return scaled
