"""The one exception the baselines raise for bad input (files, names, configurations)."""

from __future__ import annotations


class BaselineError(ValueError):
    """A baseline cannot run on what it was given; the message says what and where."""
