"""The metrics, one module each; :func:`evaluation.score` runs them all."""
