"""Orientation: the angular error of each first hit, when both sides give angles.

The error is the geodesic distance between the predicted and the true rotation (the angle
of R_pred⁻¹ R_true, in degrees, 0..180), whatever the predicted class. Particle symmetry
is not taken into account: a symmetric complex can show a large error for an equivalent
pose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.matching import Hits
from evaluation.profiles import AngleConvention
from evaluation.quantiles import median
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
    """The quaternions of :func:`rotations` with numpy alone (importing scipy's rotations
    costs more than scoring), computed as scipy computes them: the same bits."""
    radians = np.asarray(angles, dtype=np.float64) * (np.pi / 180.0)
    first, second, third = radians[:, 0], radians[:, 1], radians[:, 2]
    if convention == "zxz":  # intrinsic: each rotation about the axes already turned
        return _product(_product(_about(2, first), _about(0, second)), _about(2, third))
    if convention == "tom":  # extrinsic: about the fixed axes, the first angle first
        return _product(_about(2, third), _product(_about(0, second), _about(2, first)))
    relion = _product(_product(_about(2, first), _about(1, second)), _about(2, third))
    return _conjugate(relion)  # the inverse


def angular_errors(
    predicted: npt.NDArray[np.float64],
    predicted_convention: AngleConvention,
    true: Quaternions | Rotation,
) -> npt.NDArray[np.float64]:
    """Geodesic distances in degrees between Euler angles and equally many rotations (as
    quaternions, or a scipy ``Rotation``): the angle of R_pred⁻¹ R_true, to the bit what
    scipy's ``(pred.inv() * true).magnitude()`` gives."""
    if len(predicted) == 0:
        return np.zeros(0)
    true_quaternions = true if isinstance(true, np.ndarray) else true.as_quat(canonical=False)
    difference = _product(
        _conjugate(quaternions(predicted, predicted_convention)), true_quaternions
    )
    difference /= np.linalg.norm(difference, axis=1)[:, None]  # scipy renormalises products
    x, y, z, w = difference.T
    sines = np.sqrt(x * x + y * y + z * z).tolist()
    # the C library's atan2, as scipy's (numpy's own differs in the last bit)
    halves = [math.atan2(sine, abs(cosine)) for sine, cosine in zip(sines, w.tolist(), strict=True)]
    errors: npt.NDArray[np.float64] = np.degrees(2 * np.array(halves))
    return errors


def _about(axis: int, angles: npt.NDArray[np.float64]) -> Quaternions:
    """Quaternions of rotations by ``angles`` (radians) about the x, y or z axis."""
    result = np.zeros((len(angles), 4))
    result[:, 3] = np.cos(angles / 2.0)
    result[:, axis] = np.sin(angles / 2.0)
    return result


def _conjugate(rotations: Quaternions) -> Quaternions:
    """The inverse rotations of unit quaternions."""
    conjugate: Quaternions = rotations * np.array([-1.0, -1.0, -1.0, 1.0])
    return conjugate


def _product(left: Quaternions, right: Quaternions) -> Quaternions:
    """Hamilton products, row by row (the rotation ``left`` after ``right``), with scipy's
    order of operations."""
    cross = np.cross(left[:, :3], right[:, :3])
    w1, w2 = left[:, 3], right[:, 3]
    vector = [w1 * right[:, i] + w2 * left[:, i] + cross[:, i] for i in range(3)]
    scalar = w1 * w2 - left[:, 0] * right[:, 0] - left[:, 1] * right[:, 1]
    scalar = scalar - left[:, 2] * right[:, 2]
    return np.stack([*vector, scalar], axis=-1)


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
    return AngularErrors(len(errors), float(errors.mean()), median(errors))
