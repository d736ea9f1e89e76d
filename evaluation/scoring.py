"""Score one submission against a loaded ground truth: every metric, one result."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth, Particles
from evaluation.metrics.bootstrap import bootstrap as bootstrap_intervals
from evaluation.metrics.bootstrap import f1_per_resample
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


# Background slices between stacked test tomograms: no distance match (F-beta) reaches across.
STACK_GAP = 64


@dataclass(frozen=True, eq=False)
class HiddenTest:
    """A hidden test of one or more tomograms, scored as one.

    With several, their hitboxes are stacked along z into one ground truth (``whole``),
    ``STACK_GAP`` background slices apart and padded to the largest y and x, the particles
    renumbered in tomogram order. Each prediction is looked up in its own tomogram (clamped
    into it, counted in RO), then moved to that tomogram's place in the stack, so every count
    of the whole is the sum of the tomograms' counts: recall over all particles, AD over all
    hits, per-class F1 from the summed confusion matrix.
    """

    names: tuple[str, ...]
    tomograms: tuple[GroundTruth, ...]
    whole: GroundTruth
    z_starts: tuple[int, ...]

    @property
    def checksum(self) -> str:
        """The checksum of the whole test (of the one tomogram when there is one)."""
        return self.whole.checksum

    def ground_truth(self, name: str) -> GroundTruth:
        """The ground truth of the test tomogram ``name``."""
        return self.tomograms[self.names.index(name)]

    def place(self, submission: Submission) -> tuple[Submission, npt.NDArray[np.bool_]]:
        """The submission moved into the stack, and which predictions lay outside their own
        tomogram (RO): each is looked up where a single-tomogram score would (rounded,
        clamped into its own volume), then shifted to its tomogram's slices. A prediction
        outside is moved to the border voxel it is looked up at, so its F-beta distance is
        measured from there. One tomogram: the submission as it is.

        Raises:
            ValueError: several tomograms and a submission naming none, or another.
        """
        if len(self.names) == 1:
            return submission, np.zeros(len(submission), dtype=bool)
        names = submission.tomograms
        if names is None:
            raise ValueError(f"the test has {len(self.names)} tomograms; the submission names none")
        unknown = sorted(set(np.unique(names).tolist()) - set(self.names))
        if unknown:
            raise ValueError(f"the submission names tomograms outside the test: {unknown}")
        coords = np.array(submission.coords, dtype=np.float64)
        outside = np.zeros(len(submission), dtype=bool)
        for name, truth, start in zip(self.names, self.tomograms, self.z_starts, strict=True):
            mine = np.asarray(names == name)
            offset = truth.submission_offset.astype(np.float64)
            upper = np.asarray(truth.shape[::-1], dtype=np.float64) - 1
            rounded = np.rint(coords[mine]) - offset
            clamped = np.minimum(np.maximum(rounded, 0.0), upper)
            moved = (clamped != rounded).any(axis=1)
            outside[np.flatnonzero(mine)[moved]] = True
            inside = coords[mine]
            inside[moved] = clamped[moved] + offset
            inside[:, 2] += start
            coords[mine] = inside
        return dataclasses.replace(submission, coords=coords), outside


def stack_tomograms(tomograms: Mapping[str, GroundTruth]) -> HiddenTest:
    """The hidden test made of ``tomograms`` (name -> ground truth, in order).

    Raises:
        ValueError: no tomogram, or tomograms loaded for different profiles or options.
    """
    names = tuple(tomograms)
    truths = tuple(tomograms.values())
    if not truths:
        raise ValueError("a hidden test needs at least one tomogram")
    if len(truths) == 1:
        return HiddenTest(names, truths, truths[0], (0,))
    first = truths[0]
    for name, truth in zip(names[1:], truths[1:], strict=True):
        same = (
            truth.profile == first.profile
            and truth.class_names == first.class_names
            and np.array_equal(truth.submission_offset, first.submission_offset)
            and truth.ad_first_hits_only == first.ad_first_hits_only
            and truth.excluded_classes == first.excluded_classes
            and truth.particles.angle_convention == first.particles.angle_convention
        )
        if not same:
            raise ValueError(f"test tomogram {name!r} was loaded for another profile or options")
    height = max(truth.shape[1] for truth in truths)
    width = max(truth.shape[2] for truth in truths)
    dtype = np.result_type(*(truth.hitbox.dtype for truth in truths), np.int32)
    depth = sum(truth.shape[0] for truth in truths) + STACK_GAP * (len(truths) - 1)
    hitbox = np.zeros((depth, height, width), dtype=dtype)
    starts: list[int] = []
    start = labels = 0
    for truth in truths:
        z, y, x = truth.shape
        block = np.asarray(truth.hitbox).astype(dtype)
        hitbox[start : start + z, :y, :x] = np.where(block > 0, block + labels, 0)
        starts.append(start)
        start += z + STACK_GAP
        labels += len(truth.particles)
    shift = [np.asarray([0.0, 0.0, s]) for s in starts]
    any_angles = any(truth.particles.angles is not None for truth in truths)
    particles = Particles(
        classes=np.concatenate([truth.particles.classes for truth in truths]),
        centres=np.concatenate(
            [truth.particles.centres + s for truth, s in zip(truths, shift, strict=True)]
        ),
        angles=np.concatenate(
            [
                truth.particles.angles
                if truth.particles.angles is not None
                else np.full((len(truth.particles), 3), np.nan)
                for truth in truths
            ]
        )
        if any_angles
        else None,
        angle_convention=first.particles.angle_convention,
    )
    whole = GroundTruth(
        profile=first.profile,
        class_names=first.class_names,
        particles=particles,
        hitbox=hitbox,
        scored=np.concatenate([truth.counted for truth in truths]),
        submission_offset=first.submission_offset.copy(),
        ad_first_hits_only=first.ad_first_hits_only,
        excluded_classes=first.excluded_classes,
        options=dict(first.options),
        source=" + ".join(names),
        voxel_size=first.voxel_size,
    )
    return HiddenTest(names, truths, whole, tuple(starts))


def score_tomograms(hidden: HiddenTest, submission: Submission, **options: Any) -> EvaluationResult:
    """Score ``submission`` against a hidden test of one or more tomograms (``score``'s
    options apply). One tomogram: exactly :func:`score`. Several: the submission names each
    prediction's tomogram (``Submission.tomograms``); the result's figures are over the
    whole test and ``per_tomogram`` holds each tomogram's own Table 1 and classification.

    Raises:
        ValueError: several tomograms and a submission that names none, or names another,
            or a parameter out of range (as :func:`score`).
    """
    if len(hidden.names) == 1:
        return score(hidden.whole, submission, **options)
    stacked, outside = hidden.place(submission)  # checks the names first
    names = submission.tomograms
    per_tomogram: dict[str, Any] = {}
    warnings: list[str] = []
    single = {key: value for key, value in options.items() if key != "bootstrap"}
    for name, truth in zip(hidden.names, hidden.tomograms, strict=True):
        mine = np.asarray(names == name)
        if not mine.any():
            from evaluation.split import score_empty  # split builds on this module

            own = score_empty(truth, submission, bootstrap=0, **single)
        else:
            own = score(truth, _rows(submission, mine), bootstrap=0, **single).to_dict()
        per_tomogram[name] = {
            "predictions": int(np.count_nonzero(mine)),
            "localization": own["localization"],
            "classification": own["classification"],
            "size_groups": own["size_groups"],
        }
        warnings += [f"{name}: {note}" for note in own["warnings"]]
    result = score(hidden.whole, stacked, **options)
    located = dataclasses.replace(result.localization, RO=int(np.count_nonzero(outside)))
    return dataclasses.replace(
        result, localization=located, warnings=tuple(warnings), per_tomogram=per_tomogram
    )


def score_with_f1_samples(
    test: GroundTruth | HiddenTest, submission: Submission, **options: Any
) -> tuple[EvaluationResult, npt.NDArray[np.float64] | None]:
    """The result of :func:`score` (of :func:`score_tomograms` for a hidden test), and the
    localization F1 on each of its bootstrap resamples (None with ``bootstrap=0``): the
    values of `evaluation.paired.localization_f1_samples`, from the sums the bootstrap
    computed anyway.

    Raises:
        ValueError: as :func:`score_tomograms`.
    """
    if isinstance(test, HiddenTest):
        result, particles = score_tomograms(test, submission, **options), test.whole.n_particles
    else:
        result, particles = score(test, submission, **options), test.n_particles
    if result.bootstrap is None or result.bootstrap.sums is None:
        return result, None
    sums = result.bootstrap.sums
    samples = f1_per_resample(
        sums.found, sums.hits, result.localization, particles, dtype=np.float64
    )
    return result, samples


def _rows(submission: Submission, keep: npt.NDArray[np.bool_]) -> Submission:
    """The predictions ``keep`` selects, as a submission of one tomogram."""
    return dataclasses.replace(submission.select(keep), tomograms=None)
