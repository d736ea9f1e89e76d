"""Reference particle pickers (classical, template matching, deep learning) in PyTorch.

import baselines
model = baselines.train("unet", "datasets/v3", "unet.pt")
baselines.predict("unet", model, "datasets/v3/model_9", "unet_picks.txt")
baselines.weights_checksum(model)
"""

from baselines.api import NAMES, predict, train
from baselines.errors import BaselineError
from baselines.model_file import code_version, weights_checksum

__all__ = ["NAMES", "BaselineError", "code_version", "predict", "train", "weights_checksum"]
