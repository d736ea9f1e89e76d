"""The hitbox evaluator: SHREC'19-exact localization and classification scores, and more."""
