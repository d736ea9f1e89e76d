"""The hitbox evaluator: SHREC'19-exact localization and classification scores, and more.

Load a ground truth once, then score many submissions against it::

    from pathlib import Path

    from evaluation import load_ground_truth, parse_submission, score

    truth = load_ground_truth("data/model_9")              # native layout
    result = score(truth, parse_submission(Path("picks.txt")))
    print(result.to_text())                                  # or result.to_dict() for JSON

The semantics, formats, limits and JSON keys are documented in ``docs/evaluation.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from evaluation.classes import CLASSES, SIZE_GROUPS
from evaluation.errors import GroundTruthError, SubmissionError
from evaluation.version import EVALUATOR_VERSION

if TYPE_CHECKING:
    from evaluation.formats import parse_submission
    from evaluation.ground_truth import GroundTruth, load_ground_truth
    from evaluation.metrics.localization import TABLE1_KEYS
    from evaluation.result import EvaluationResult
    from evaluation.scoring import score
    from evaluation.submission import Submission

__all__ = [
    "CLASSES",
    "EVALUATOR_VERSION",
    "SIZE_GROUPS",
    "TABLE1_KEYS",
    "EvaluationResult",
    "GroundTruth",
    "GroundTruthError",
    "Submission",
    "SubmissionError",
    "load_ground_truth",
    "parse_submission",
    "score",
]

# Imported on first use: `import evaluation` stays cheap (no numpy, no file formats), so
# that a command line or a web process pays only for what it calls.
_LAZY = {
    "parse_submission": "evaluation.formats",
    "GroundTruth": "evaluation.ground_truth",
    "load_ground_truth": "evaluation.ground_truth",
    "TABLE1_KEYS": "evaluation.metrics.localization",
    "EvaluationResult": "evaluation.result",
    "score": "evaluation.scoring",
    "Submission": "evaluation.submission",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # a submodule, as when importing the package imported them all
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
