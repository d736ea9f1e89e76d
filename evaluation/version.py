"""The evaluator's version: bump it whenever any score could change for the same input."""

from __future__ import annotations

from typing import Final

EVALUATOR_VERSION: Final = "1.0.0"
