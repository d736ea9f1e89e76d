"""The hitbox evaluator: SHREC'19-exact localization and classification scores, and more.

Load a ground truth once, then score many submissions against it::

    from evaluation import load_ground_truth, parse_submission, score

    truth = load_ground_truth("data/model_9")              # native layout
    result = score(truth, parse_submission(Path("picks.txt")))
    print(result.to_text())                                  # or result.to_dict() for JSON

The semantics, formats, limits and JSON keys are documented in ``docs/evaluation.md``.
"""

from evaluation.classes import CLASSES, SIZE_GROUPS
from evaluation.errors import GroundTruthError, SubmissionError
from evaluation.formats import parse_submission
from evaluation.ground_truth import GroundTruth, load_ground_truth
from evaluation.metrics.localization import TABLE1_KEYS
from evaluation.result import EvaluationResult
from evaluation.scoring import score
from evaluation.submission import Submission
from evaluation.version import EVALUATOR_VERSION

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
