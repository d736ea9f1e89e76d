"""The template-matching baseline: FLCC over rotations with wedge-filtered class templates."""

from baselines.template.baseline import CONFIG, PRESETS, TemplateConfig, predict, train

__all__ = ["CONFIG", "PRESETS", "TemplateConfig", "predict", "train"]
