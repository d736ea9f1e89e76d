"""The baselines' names, importable without PyTorch (the web service lists and checks them)."""

NAMES = ("dog", "template", "unet")
CONFIGS = ("auto", "cpu", "gpu")
