"""Orientation: the angular error of each first hit, when both sides give angles.

The error is the geodesic distance between the predicted and the true rotation (the angle
of R_pred⁻¹ R_true, in degrees, 0..180), whatever the predicted class. Particle symmetry
is not taken into account: a symmetric complex can show a large error for an equivalent
pose.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.matching import Hits
from evaluation.profiles import AngleConvention
from evaluation.submission import Submission

if TYPE_CHECKING:
    from scipy.spatial.transform import Rotation

Quaternions = npt.NDArray[np.float64]  # (n, 4): x, y, z, w (scalar last, as scipy)


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
    from scipy.spatial.transform import Rotation

    if convention == "zxz":
        return Rotation.from_euler("ZXZ", angles, degrees=True)
    if convention == "tom":
        return Rotation.from_euler("zxz", angles, degrees=True)
    return Rotation.from_euler("ZYZ", angles, degrees=True).inv()


def quaternions(angles: npt.NDArray[np.float64], convention: AngleConvention) -> Quaternions:
    """The unit quaternions of :func:`rotations`, computed with numpy alone (the scoring
    path stays clear of scipy's import time); they agree with scipy's to rounding."""
    half = np.radians(np.asarray(angles, dtype=np.float64)) / 2
    first, second, third = half[:, 0], half[:, 1], half[:, 2]
    if convention == "zxz":
        return _product(_about(2, first), _product(_about(0, second), _about(2, third)))
    if convention == "tom":
        return _product(_about(2, third), _product(_about(0, second), _about(2, first)))
    relion = _product(_about(2, first), _product(_about(1, second), _about(2, third)))
    return _conjugate(relion)  # the inverse


def angular_errors(
    predicted: npt.NDArray[np.float64],
    predicted_convention: AngleConvention,
    true: Quaternions | Rotation,
) -> npt.NDArray[np.float64]:
    """Geodesic distances in degrees between Euler angles and equally many rotations (unit
    quaternions, or a scipy ``Rotation``): the angle of R_pred⁻¹ R_true."""
    if len(predicted) == 0:
        return np.zeros(0)
    true_quaternions = true if isinstance(true, np.ndarray) else true.as_quat()
    difference = _product(
        _conjugate(quaternions(predicted, predicted_convention)), true_quaternions
    )
    vector = np.sqrt(np.einsum("ij,ij->i", difference[:, :3], difference[:, :3]))
    errors: npt.NDArray[np.float64] = np.degrees(2 * np.arctan2(vector, np.abs(difference[:, 3])))
    return errors


def _about(axis: int, half_angles: npt.NDArray[np.float64]) -> Quaternions:
    """Quaternions of rotations by twice ``half_angles`` about the x, y or z axis."""
    result = np.zeros((len(half_angles), 4))
    result[:, axis] = np.sin(half_angles)
    result[:, 3] = np.cos(half_angles)
    return result


def _conjugate(rotations: Quaternions) -> Quaternions:
    """The inverse rotations of unit quaternions."""
    conjugate: Quaternions = rotations * np.array([-1.0, -1.0, -1.0, 1.0])
    return conjugate


def _product(left: Quaternions, right: Quaternions) -> Quaternions:
    """Hamilton products, row by row: the rotation ``left`` after ``right``."""
    x1, y1, z1, w1 = left.T
    x2, y2, z2, w2 = right.T
    return np.column_stack(
        [
            w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
            w1 * y2 - x1 * z2 + y1 * w2 + z1 * x2,
            w1 * z2 + x1 * y2 - y1 * x2 + z1 * w2,
            w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2,
        ]
    )


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


def _true_rotations(ground_truth: GroundTruth) -> tuple[npt.NDArray[np.bool_], Quaternions]:
    """Which particles have angles, and the rotation of each (identity where none): built
    once per ground truth."""
    cached = ground_truth._cache.get("quaternions")
    if isinstance(cached, tuple):
        return cached
    angles = ground_truth.particles.angles
    assert angles is not None
    known: npt.NDArray[np.bool_] = np.logical_not(np.isnan(angles).any(axis=1))
    result = (
        known,
        quaternions(np.where(known[:, None], angles, 0.0), ground_truth.particles.angle_convention),
    )
    ground_truth._cache["quaternions"] = result
    return result


def _summary(errors: npt.NDArray[np.float64]) -> AngularErrors:
    if len(errors) == 0:
        return AngularErrors(0, None, None)
    return AngularErrors(len(errors), float(errors.mean()), float(np.median(errors)))
