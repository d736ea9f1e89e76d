"""Scoring profiles: the native layout and the three published SHREC layouts.

A profile fixes what a submission looks like (its class list, the column order of its
coordinates, the convention of its angles); how a ground truth is loaded for it lives in
:mod:`evaluation.ground_truth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from evaluation.classes import (
    CLASSES,
    SHREC20_EXTRA_CLASSES,
    SHREC21_EXCLUDED,
    SHREC21_EXTRA_CLASSES,
)

AxisOrder = Literal["xyz", "zyx"]
# "zxz": R = Rz(phi) Rx(theta) Rz(psi) (native); "tom": R = Rz(rot3) Rx(rot2) Rz(rot1)
# (SHREC, TOM/PyTom); "relion": R = inverse of Rz(rot) Ry(tilt) Rz(psi) (STAR files).
AngleConvention = Literal["zxz", "tom", "relion"]

# Column names of the three angles of each convention, in file order.
ANGLE_COLUMNS: Final[dict[str, tuple[str, str, str]]] = {
    "zxz": ("phi", "theta", "psi"),
    "tom": ("rot1", "rot2", "rot3"),
    "relion": ("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi"),
}


@dataclass(frozen=True)
class Profile:
    """What a submission means under one profile."""

    name: str
    classes: tuple[str, ...]  # index i (1-based) is classes[i - 1]
    axis_order: AxisOrder  # column order of the coordinates in plain-text lines
    angle_convention: AngleConvention  # of the angles in plain-text and CSV submissions
    excluded: tuple[str, ...] = ()  # classes the organisers left out of the scores

    @property
    def column_names(self) -> tuple[str, str, str]:
        """The coordinate columns of a plain-text line, in file order (e.g. ``X Y Z``)."""
        return (self.axis_order[0].upper(), self.axis_order[1].upper(), self.axis_order[2].upper())

    @property
    def line_layout(self) -> str:
        """A plain-text prediction line of this profile, e.g. ``CLASS X Y Z [PHI THETA PSI]``."""
        angles = " ".join(name.upper() for name in ANGLE_COLUMNS[self.angle_convention])
        return f"CLASS {' '.join(self.column_names)} [{angles}] [SCORE]"


PROFILES: Final[dict[str, Profile]] = {
    "native": Profile("native", CLASSES, "xyz", "zxz"),
    "shrec19": Profile("shrec19", CLASSES, "zyx", "tom"),
    "shrec20": Profile("shrec20", CLASSES + SHREC20_EXTRA_CLASSES, "xyz", "tom"),
    "shrec21": Profile("shrec21", CLASSES + SHREC21_EXTRA_CLASSES, "xyz", "tom", SHREC21_EXCLUDED),
}


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``.

    Raises:
        ValueError: no such profile (the message lists the known ones).
    """
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown profile {name!r} (expected one of {known})") from None
