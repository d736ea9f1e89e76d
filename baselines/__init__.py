"""Reference particle pickers (classical, template matching, deep learning) in PyTorch.

import baselines
model = baselines.train("unet", "datasets/v3", "unet.pt")
baselines.predict("unet", model, "datasets/v3/model_9", "unet_picks.txt")
baselines.weights_checksum(model)
"""

from __future__ import annotations

import importlib
from typing import Any

from baselines.names import NAMES

# PyTorch loads only when a picker is used, so the web service can import the names cheaply
_LAZY = {
    "train": "baselines.api",
    "predict": "baselines.api",
    "BaselineError": "baselines.errors",
    "code_version": "baselines.model_file",
    "weights_checksum": "baselines.model_file",
}

__all__ = ["NAMES", "BaselineError", "code_version", "predict", "train", "weights_checksum"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'baselines' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
