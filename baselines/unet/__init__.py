"""The deep-learning baseline: a DeepFinder-style 3-D U-Net segmentation and peak picking."""

from baselines.unet.baseline import CONFIG, PRESETS, UNetConfig, predict, train

__all__ = ["CONFIG", "PRESETS", "UNetConfig", "predict", "train"]
