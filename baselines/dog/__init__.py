"""The classical baseline: DoG picking and a sub-tomogram CNN classifier (DoG-CB3D)."""

from baselines.dog.baseline import CONFIG, PRESETS, DogConfig, predict, train

__all__ = ["CONFIG", "PRESETS", "DogConfig", "predict", "train"]
