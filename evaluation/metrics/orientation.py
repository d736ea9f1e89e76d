"""Orientation: the angular error of each first hit, when both sides give angles.

The error is the geodesic distance between the predicted and the true rotation (the angle
of R_pred⁻¹ R_true, in degrees, 0..180), whatever the predicted class. Particle symmetry
is not taken into account: a symmetric complex can show a large error for an equivalent
pose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.spatial.transform import Rotation

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.matching import Hits
from evaluation.profiles import AngleConvention
from evaluation.submission import Submission


@dataclass(frozen=True)
class AngularErrors:
    """Summary of a set of angular errors in degrees (None when the set is empty)."""

    count: int
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class Orientation:
    """Angular errors over all first hits, and per true class."""

    count: int
    mean: float | None
    median: float | None
    per_class: dict[str, AngularErrors]


def rotations(angles: npt.NDArray[np.float64], convention: AngleConvention) -> Rotation:
    """Rotations (template to particle, acting on x, y, z) from Euler angles in degrees.

    "zxz": Rz(phi) Rx(theta) Rz(psi); "tom": Rz(rot3) Rx(rot2) Rz(rot1) (rot1 applied
    first); "relion": the inverse of Rz(rot) Ry(tilt) Rz(psi), RELION's matrices rotating
    particles onto the reference.
    """
    if convention == "zxz":
        return Rotation.from_euler("ZXZ", angles, degrees=True)
    if convention == "tom":
        return Rotation.from_euler("zxz", angles, degrees=True)
    return Rotation.from_euler("ZYZ", angles, degrees=True).inv()


def angular_errors(
    predicted: npt.NDArray[np.float64],
    predicted_convention: AngleConvention,
    true: Rotation,
) -> npt.NDArray[np.float64]:
    """Geodesic distances in degrees between Euler angles and equally many rotations."""
    if len(predicted) == 0:
        return np.zeros(0)
    difference = rotations(predicted, predicted_convention).inv() * true
    errors: npt.NDArray[np.float64] = np.degrees(difference.magnitude())
    return errors


def orientation(
    ground_truth: GroundTruth, submission: Submission, hits: Hits
) -> Orientation | None:
    """Angular errors of first hits; None when the submission or the list has no angles."""
    if submission.angles is None or ground_truth.particles.angles is None:
        return None
    known, true_rotations = _true_rotations(ground_truth)
    rows = hits.first_hit[hits.first_hit >= 0]
    particles = hits.particle[rows]
    keep = known[particles]
    rows, particles = rows[keep], particles[keep]
    errors = angular_errors(
        submission.angles[rows], submission.angle_convention, true_rotations[particles]
    )
    classes = ground_truth.particles.classes[particles]
    per_class = {
        name: _summary(errors[classes == index])
        for index, name in enumerate(ground_truth.class_names, start=1)
    }
    overall = _summary(errors)
    return Orientation(overall.count, overall.mean, overall.median, per_class)


def _true_rotations(ground_truth: GroundTruth) -> tuple[npt.NDArray[np.bool_], Rotation]:
    """Which particles have angles, and the rotation of each (identity where none): built
    once per ground truth."""
    cached = ground_truth._cache.get("rotations")
    if isinstance(cached, tuple):
        return cached
    angles = ground_truth.particles.angles
    assert angles is not None
    known: npt.NDArray[np.bool_] = np.logical_not(np.isnan(angles).any(axis=1))
    result = (
        known,
        rotations(np.where(known[:, None], angles, 0.0), ground_truth.particles.angle_convention),
    )
    ground_truth._cache["rotations"] = result
    return result


def _summary(errors: npt.NDArray[np.float64]) -> AngularErrors:
    if len(errors) == 0:
        return AngularErrors(0, None, None)
    return AngularErrors(len(errors), float(errors.mean()), float(np.median(errors)))
