"""Score one submission against a loaded ground truth: every metric, one result."""

from __future__ import annotations

import numpy as np

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.bootstrap import bootstrap as bootstrap_intervals
from evaluation.metrics.classification import classification, predicted_classes, size_group_f1
from evaluation.metrics.fbeta import fbeta
from evaluation.metrics.localization import Localization, localization
from evaluation.metrics.matching import Hits, match
from evaluation.metrics.orientation import orientation
from evaluation.metrics.ranking import ranking
from evaluation.metrics.strict import strict_classification
from evaluation.result import EvaluationResult, SubmissionSummary
from evaluation.submission import Submission
from evaluation.version import EVALUATOR_VERSION


def score(
    ground_truth: GroundTruth,
    submission: Submission,
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    beta: float = 4.0,
    multiplier: float = 0.5,
) -> EvaluationResult:
    """Score ``submission`` against ``ground_truth`` (docs/evaluation.md, Metrics).

    ``bootstrap`` resamples (0 skips the intervals) drawn with ``seed``; ``beta`` and
    ``multiplier`` (of the class radius) set the distance-matched F-beta.

    Raises:
        ValueError: the submission was parsed for another profile than the ground truth
            was loaded for, or a parameter is out of range.
    """
    if submission.profile != ground_truth.profile:
        raise ValueError(
            f"the submission was parsed for profile {submission.profile!r} but the ground "
            f"truth was loaded for {ground_truth.profile!r}"
        )
    if bootstrap < 0 or beta <= 0 or multiplier <= 0:
        raise ValueError("bootstrap must be >= 0, beta and multiplier > 0")
    hits = match(ground_truth, submission)
    located = localization(ground_truth, hits)
    predicted = predicted_classes(ground_truth, submission, hits)
    classified = classification(ground_truth, predicted)
    intervals = None
    if bootstrap:
        intervals = bootstrap_intervals(
            ground_truth, hits, located, predicted, resamples=bootstrap, seed=seed
        )
    return EvaluationResult(
        evaluator_version=EVALUATOR_VERSION,
        ground_truth_checksum=ground_truth.checksum,
        profile=ground_truth.profile,
        profile_options=dict(ground_truth.options),
        submission=SubmissionSummary(
            predictions=len(submission),
            format=submission.format,
            has_angles=submission.angles is not None,
            has_scores=submission.scores is not None,
            conversion=submission.conversion,
        ),
        localization=located,
        classification=classified,
        size_groups=size_group_f1({n: s.f1 for n, s in classified.per_class.items()}),
        strict_classification=strict_classification(ground_truth, submission, hits),
        orientation=orientation(ground_truth, submission, hits),
        ranking=ranking(ground_truth, submission, hits),
        bootstrap=intervals,
        fbeta=fbeta(ground_truth, submission, beta=beta, multiplier=multiplier),
        warnings=_warnings(ground_truth, hits, located),
    )


def _warnings(ground_truth: GroundTruth, hits: Hits, located: Localization) -> tuple[str, ...]:
    notes = []
    if located.RO:
        notes.append(
            f"{located.RO} prediction(s) lay outside the volume and were clamped to its "
            "border before the look-up (RO)"
        )
    if ground_truth.sample_z_range is not None:
        low, high = ground_truth.sample_z_range
        z = hits.voxels[:, 2]
        outside = int(np.count_nonzero((z < low) | (z > high)))
        if outside:
            notes.append(
                f"{outside} prediction(s) lie outside the sample slab (z {low}..{high} of the "
                "tomogram): is the file in slab coordinates? Scored as given, not shifted"
            )
    return tuple(notes)
